/**
 * A feed from the event store into the notifier's own tables, the projector's way: subscribe
 * after a checkpoint and write each batch's rows with the new checkpoint in one transaction. A
 * crash anywhere neither loses a row nor writes one twice. The webhooks outbox and the Discord
 * role outbox are each one of these, with their own checkpoint row and their own `apply`.
 */
import type { Pool, PoolClient } from 'pg';
import { storedTypeNames, upcastEvent } from '@coffer/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@coffer/event-store';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';

/** The checkpoint moved under us (another notifier instance): start again from it. */
class Resync extends Error {}

export interface CheckpointedFeedOptions {
  /** A one-row table `(id boolean, position bigint, updated_at timestamptz)` of the notifier's schema. */
  checkpointTable: string;
  eventTypes: readonly string[];
  /** Names the feed in logs. */
  what: string;
  /** Writes a batch's rows inside the checkpoint's transaction (events upcast); answers how many it enqueued. */
  apply: (client: PoolClient, events: RecordedEvent[]) => Promise<number>;
  /** Called after a batch enqueued rows, so their consumer looks at once. */
  enqueued: () => void;
}

export class CheckpointedFeed {
  private subscription: Subscription | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly pool: Pool,
    private readonly logger: JsonLogger,
    private readonly options: CheckpointedFeedOptions,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const { rows } = await this.pool.query<{ position: string | null }>(`SELECT position FROM ${this.options.checkpointTable}`);
        const after = rows[0]?.position === null || rows[0] === undefined ? undefined : BigInt(rows[0].position);
        if (this.stopped) return;
        let committed = after;
        this.subscription = this.store.subscribeToAll(
          async (events) => {
            committed = await this.commit(committed, events);
            failures = 0;
          },
          { after, batchSize: 500, eventTypes: storedTypeNames(this.options.eventTypes), minReadIntervalMs: 25 },
        );
        await this.subscription.done;
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof Resync) continue;
        failures++;
        this.logger.event(failures === 1 ? 'error' : 'debug', `${this.options.what} feed failed, restarting from the checkpoint`, {
          error: (error as Error).message,
          attempt: failures,
        });
        await sleep(retryDelayMs(failures));
      }
    }
  }

  private async commit(expected: bigint | undefined, stored: RecordedEvent[]): Promise<bigint | undefined> {
    const table = this.options.checkpointTable;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ position: string | null }>(`SELECT position FROM ${table} FOR UPDATE`);
      const position = rows[0]?.position ?? null;
      if ((position === null ? undefined : BigInt(position)) !== expected) throw new Resync();
      const enqueued = await this.options.apply(client, stored.map((event) => upcastEvent(event)));
      const last = stored[stored.length - 1].globalPosition;
      await client.query(`UPDATE ${table} SET position = $1, updated_at = now()`, [last.toString()]);
      await client.query('COMMIT');
      if (enqueued > 0) this.options.enqueued();
      return last;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
