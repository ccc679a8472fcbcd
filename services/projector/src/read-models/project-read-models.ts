/**
 * Projects a batch of events into the read models of @coffer/read-models (one file each), in the
 * caller's transaction so their rows move with the checkpoint: every read model folds the batch
 * in memory, then writes its changes with a few set-based statements.
 */
import type { PoolClient } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { READ_MODELS } from '@coffer/read-models';
import { folding } from '../quarantine';

export async function projectReadModels(client: PoolClient, schemaName: string, events: ReplayedEvent[]): Promise<void> {
  // What a fold throws is an event's fault, never the database's (../quarantine.ts).
  const writes = folding(() => READ_MODELS.map((model) => model.fold(events)));
  for (const write of writes) await write(client, schemaName);
}
