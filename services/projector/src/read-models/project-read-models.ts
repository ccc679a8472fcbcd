/**
 * Projects a batch of events into the read models of @coffer/read-models (one file each), in the
 * caller's transaction so their rows move with the checkpoint: every read model folds the batch
 * in memory, then writes its changes with a few set-based statements. A rebuild folds the store
 * with one ReadModelsReplay instead.
 */
import type { ClientBase } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { READ_MODELS, type FoldContext, type Replaying, type Write } from '@coffer/read-models';
import { folding } from '../quarantine';

/** `events` are upcast already; what a fold throws is an event's fault, never the database's (../quarantine.ts). */
export async function projectReadModels(client: ClientBase, schemaName: string, events: readonly ReplayedEvent[], context: FoldContext): Promise<void> {
  const writes = folding(() => READ_MODELS.map((model) => model.fold(events, context)));
  for (const write of writes) await write(client, schemaName);
}

/**
 * Every read model's replay, kept across a rebuild's pages. A read model without one folds each
 * page as the live projector would (its tables are created with their keys).
 */
export class ReadModelsReplay {
  private readonly replays: Replaying[] = READ_MODELS.map(
    (model) => model.replay?.() ?? { fold: (events, context) => model.fold(events, context), finish: async () => undefined },
  );

  /** Folds a page of upcast events; answers the write of its rows, which it owns. */
  fold(events: readonly ReplayedEvent[], context: FoldContext): Write {
    const writes = folding(() => this.replays.map((replay) => replay.fold(events, context)));
    return async (client, schema) => {
      for (const write of writes) await write(client, schema);
    };
  }

  async finish(client: ClientBase, schema: string): Promise<void> {
    for (const replay of this.replays) await replay.finish(client, schema);
  }
}
