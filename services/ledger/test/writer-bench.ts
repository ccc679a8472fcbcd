/**
 * A ledger writer against a test database of its own, for the writer's specs: the store, the
 * snapshots, writers that log into `lines`, and the few commands and reads the specs use.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Reply, RequestMeta } from '@coffer/contracts';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { LedgerWriter, type LedgerWriterOptions } from '../src/writer/ledger-writer';
import { SnapshotStore } from '../src/writer/snapshot-store';

export const WRITER_OPTIONS = {
  realm: 'default',
  eventTimeoutSeconds: 60,
  snapshotEvery: 50_000,
  maxBatch: 1000,
  sweepIntervalMs: 100,
  clock: () => new Date(),
};

/** A request's meta as the gateway sends it (the admin's unless an app is given). */
export function requestMeta(overrides: Partial<RequestMeta> = {}): RequestMeta {
  return { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000, ...overrides };
}

export class WriterBench {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly writers: LedgerWriter[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly store: PostgresEventStore,
    readonly snapshots: SnapshotStore,
  ) {}

  static async open(label: string): Promise<WriterBench> {
    const database = await createTestDatabase(label);
    const store = await PostgresEventStore.connect({ connectionString: database.url });
    return new WriterBench(database, store, new SnapshotStore(database.url));
  }

  /** A writer (a new instance) whose log lines land in `lines`. */
  writer(options: Partial<LedgerWriterOptions> = {}): LedgerWriter {
    const logger = new JsonLogger('ledger', 'debug', (line) => this.lines.push(JSON.parse(line)));
    const created = new LedgerWriter(this.store, this.snapshots, logger, { ...WRITER_OPTIONS, instanceId: randomUUID(), ...options });
    this.writers.push(created);
    return created;
  }

  grant(to: LedgerWriter, user_id: string, amount: string, meta: Partial<RequestMeta> = {}): Promise<Reply<unknown>> {
    return to.command({ command: { type: 'Grant', data: { user_id, amount, currency: 'coins', description: null } }, request_hash: null }, requestMeta(meta), 'gateway');
  }

  /** The user's posted coins as the writer answers them ('0' for none). */
  async postedOf(from: LedgerWriter, user_id: string): Promise<string> {
    const reply = (await from.query({ type: 'GetBalance', user_id })) as { ok: true; result: { balances: Array<{ posted: string }> } };
    return reply.result.balances[0]?.posted ?? '0';
  }

  logged(msg: string): Array<Record<string, unknown>> {
    return this.lines.filter((line) => line.msg === msg);
  }

  /** The stream revision of the newest event in the store. */
  async head(writer: LedgerWriter): Promise<bigint> {
    return (await this.store.readStream(writer.stream, { direction: 'backwards', maxCount: 1 }))[0].streamPosition;
  }

  /** Holds the event store's table, so the writer's next append (and read) waits: a slow or stuck store. */
  async blockAppends(): Promise<() => Promise<void>> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE coffer_es.events IN ACCESS EXCLUSIVE MODE');
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }

  async close(): Promise<void> {
    for (const each of this.writers.splice(0)) await each.stepDown();
    await this.store.close();
    await this.snapshots.close();
    await this.database.drop();
  }
}
