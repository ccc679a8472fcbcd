/**
 * Projects events into the read models of @coffer/read-models (one file each). A live batch is
 * written in the caller's transaction so its rows move with the checkpoint; a rebuild folds the
 * store with one ReadModelsReplay. Either way the events are upcast once, the transactions that
 * leave pending are computed once (transactions.ts: settle), and every read model folds the batch
 * with them in memory, then writes its changes with a few set-based statements. Each realm's
 * events are folded apart (realms.ts): its ids are its own, and its rows carry its realm.
 */
import type { ClientBase } from 'pg';
import { upcastEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { eventsByRealm, loadPending, PendingTransactions, READ_MODELS, settle, type Replaying, type Write } from '@coffer/read-models';
import { folding } from '../quarantine';
import { generationSchema } from './schema';

/**
 * Fails with UnprojectableEventError when an event's data is not what its type promises (or a
 * fold finds it impossible), with a PostgreSQL data exception when a value does not fit its
 * column, and otherwise only for a fault of the database: the caller quarantines by that
 * difference (../quarantine.ts).
 */
export async function projectBatch(client: ClientBase, generation: number, stored: readonly ReplayedEvent[]): Promise<void> {
  const schema = generationSchema(generation);
  const upcast = folding(() => stored.map(upcastEvent));
  for (const [realm, events] of eventsByRealm(upcast)) {
    const pending = await loadPending(client, schema, events, realm);
    const context = { settlements: folding(() => settle(events, pending)), realm };
    const writes = folding(() => READ_MODELS.map((model) => model.fold(events, context)));
    for (const write of writes) await write(client, schema);
  }
}

/**
 * A rebuild's fold of the store into an empty generation, page by page, with every read model's
 * replay and the pending transactions kept across pages: what a later page may still change stays
 * in memory, so each row is written once, in its final state, and nothing is read back. Pages
 * COPY into tables without lookup keys (Generations.create); `finish` writes what the pages left,
 * after addLookupKeys. A page's write owns its rows, so it may run while the next page is folded.
 * A read model without a replay folds each page as the live projector would.
 */
export class ReadModelsReplay {
  /** Each realm's pending transactions and replays, made when its first event comes. */
  private readonly realms = new Map<string, { pending: PendingTransactions; replays: Replaying[] }>();
  private readonly schema: string;

  constructor(generation: number) {
    this.schema = generationSchema(generation);
  }

  /** Folds a page of stored events; answers the write of its rows. */
  fold(stored: readonly ReplayedEvent[]): (client: ClientBase) => Promise<void> {
    const upcast = folding(() => stored.map(upcastEvent));
    const writes: Write[] = [];
    for (const [realm, events] of eventsByRealm(upcast)) {
      const { pending, replays } = this.of(realm);
      const context = { settlements: folding(() => settle(events, pending)), realm };
      writes.push(...folding(() => replays.map((replay) => replay.fold(events, context))));
    }
    return async (client) => {
      for (const write of writes) await write(client, this.schema);
    };
  }

  /** Writes what the pages left: pending transactions, open finance events, sums. */
  async finish(client: ClientBase): Promise<void> {
    for (const { replays } of this.realms.values()) for (const replay of replays) await replay.finish(client, this.schema);
  }

  private of(realm: string): { pending: PendingTransactions; replays: Replaying[] } {
    let state = this.realms.get(realm);
    if (!state) {
      const replays = READ_MODELS.map(
        (model): Replaying => model.replay?.(realm) ?? { fold: (events, context) => model.fold(events, context), finish: async () => undefined },
      );
      this.realms.set(realm, (state = { pending: new PendingTransactions(), replays }));
    }
    return state;
  }
}
