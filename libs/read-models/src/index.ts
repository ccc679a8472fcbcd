/**
 * The read models, one file each: DDL, row, fold, writes and the gateway's queries. The projector
 * keeps them (generations, checkpoints, rebuild, verify); the gateway queries them; neither
 * service depends on the other. The ledger's tables are still folded by the projector's
 * batch-projection.ts and will move here the same way.
 */
import { achievementProgress } from './achievement-progress';
import { achievementDefinitions } from './achievements';
import { apiKeys } from './api-keys';
import { apps } from './apps';
import { financeEvents } from './finance-events';
import type { ReadModel } from './read-model';

export * from './read-model';
export * from './copy';
export * from './apps';
export * from './api-keys';
export * from './finance-events';
export * from './transactions';
export * from './achievements';
export * from './achievement-progress';

/** Every read model kept here, in the order their tables are created, written and compared. */
export const READ_MODELS: readonly ReadModel[] = [financeEvents, apps, apiKeys, achievementDefinitions, achievementProgress];
