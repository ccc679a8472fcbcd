/**
 * The read models, one file each: DDL, row, fold, writes and the gateway's queries. The projector
 * keeps them (generations, checkpoints, rebuild, verify); the gateway queries them; neither
 * service depends on the other.
 */
import { achievementProgress } from './achievement-progress';
import { achievementDefinitions } from './achievements';
import { apiKeys } from './api-keys';
import { apps } from './apps';
import { balanceHistory } from './balance-history';
import { balances } from './balances';
import { dailyTotals } from './daily-totals';
import { financeEvents } from './finance-events';
import type { ReadModel } from './read-model';
import { transactions } from './transactions';
import { unlockCounts } from './unlock-counts';
import { withdrawals } from './withdrawals';
import { deposits } from './deposits';
import { auditTrail } from './audit-trail';

export * from './read-model';
export * from './realms';
export * from './copy';
export * from './balances';
export * from './transactions';
export * from './finance-events';
export * from './apps';
export * from './api-keys';
export * from './daily-totals';
export * from './achievements';
export * from './achievement-progress';
export * from './balance-history';
export * from './unlock-counts';
export * from './verification-requests';
export * from './withdrawals';
export * from './deposits';
export * from './audit-trail';
export * from './daily-stats';

/** Every read model kept here, in the order their tables are created, written and compared. */
export const READ_MODELS: readonly ReadModel[] = [
  balances,
  transactions,
  financeEvents,
  apps,
  apiKeys,
  dailyTotals,
  achievementDefinitions,
  achievementProgress,
  balanceHistory,
  unlockCounts,
  withdrawals,
  deposits,
  auditTrail,
];
export * from './overview';
