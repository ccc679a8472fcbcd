import type { PoolClient } from 'pg';
import type { EventStore, RecordedEvent, Subscription } from '@coffer/event-store';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';
import { isEventFault } from '../quarantine';
import { projectBatch } from './project-read-models';
import type { Generations } from './generations';
import { projectEventByEvent } from './isolation';
import { rebuild } from './rebuild-verify-status';

/** The active generation or its checkpoint moved under us (a rebuild swapped): start again from it. */
class Resync extends Error {}

/**
 * Keeps the serving read models current: subscribes to the store after the active generation's
 * checkpoint and writes each batch together with the new checkpoint in one transaction, so a
 * crash anywhere neither skips nor applies an event twice.
 */
export class Projector {
  private subscription: Subscription | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly generations: Generations,
    private readonly logger: JsonLogger,
    private readonly batchSize = 1000,
    /** Where the events come from: the process's SharedReader (projector.module.ts), or the store itself. */
    private readonly tail: Pick<EventStore, 'subscribeToAll'> = store,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /**
   * Never ends but by stop(): whatever fails (the database restarting, a batch refused) is
   * logged and the loop starts again from the checkpoint, after a bounded wait that grows while
   * the failures go on (RETRY_MAX_DELAY_MS: caught up within about a second of the database's return).
   */
  private async run(): Promise<void> {
    let ensured = false;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!ensured) {
          await this.generations.ensure();
          ensured = true;
        }
        if (!(await this.generations.servesCurrentShape())) await this.rebuildIntoCurrentShape();
        const generation = await this.generations.active();
        const { position } = await this.generations.checkpoint(generation);
        if (this.stopped) return; // stop() came while we read: it had no subscription to stop yet
        let committed = position;
        this.subscription = this.tail.subscribeToAll(
          async (events) => {
            committed = await this.commit(generation, committed, events);
            failures = 0;
          },
          // Fewer, larger batches: each costs a transaction of ~8 statements whatever its size;
          // 25 ms keeps read-your-writes waits well inside the 250 ms lag budget.
          { after: position, batchSize: this.batchSize, minReadIntervalMs: 25 },
        );
        await this.subscription.done;
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof Resync) {
          failures = 0;
          continue;
        }
        failures++;
        // Every failure while the database is away would say the same: the first one is enough.
        this.logger.event(failures === 1 ? 'error' : 'debug', 'projection failed, restarting from the checkpoint', {
          error: (error as Error).message,
          attempt: failures,
        });
        await sleep(retryDelayMs(failures));
      }
    }
  }

  /**
   * The serving read models were made by a version of Coffer whose tables had another shape,
   * which this projection cannot write: they are rebuilt first (blue/green, the old ones serve
   * until the swap), as `coffer rebuild all` would. A large store may be rebuilt that way
   * beforehand, with the operations' longer statement timeout.
   */
  private async rebuildIntoCurrentShape(): Promise<void> {
    this.logger.event('info', 'the serving read models have an older shape: rebuilding them');
    await this.generations.keepOlderShapeReadable();
    const done = await rebuild(this.store, this.generations);
    this.logger.event('info', 'read models rebuilt into the current shape', { generation: done.generation, events: done.events });
  }

  /**
   * Projects a batch with its checkpoint. A batch that fails for an event's content is projected
   * again event by event in a new transaction, quarantining what fails alone (isolation.ts): one
   * bad event never stops the read models, and the common path pays nothing for it.
   */
  private async commit(generation: number, expected: bigint | undefined, events: RecordedEvent[]): Promise<bigint | undefined> {
    try {
      return await this.commitWith(generation, expected, events, (client) => projectBatch(client, generation, events));
    } catch (error) {
      if (!isEventFault(error)) throw error;
      return this.commitWith(generation, expected, events, async (client) => {
        for (const { event, error: why } of await projectEventByEvent(client, generation, events)) {
          this.logger.event('error', 'quarantined an event the read models cannot take', {
            event_id: event.id,
            position: event.globalPosition.toString(),
            type: event.type,
            error: (why as Error).message,
          });
        }
      });
    }
  }

  private async commitWith(
    generation: number,
    expected: bigint | undefined,
    events: RecordedEvent[],
    project: (client: PoolClient) => Promise<void>,
  ): Promise<bigint | undefined> {
    return this.generations.locked(async (client) => {
      // Not flushed before the COMMIT returns: read models are derived, and their checkpoint moves
      // in the same transaction, so a crash of PostgreSQL can only lose whole batches (rows and
      // checkpoint together), which this projector then projects again from the store. Readers
      // see the batch at commit as before; only the wait for the disk is gone (the ledger's
      // appends, the truth, stay synchronous). The feed keeps its own synchronous checkpoint.
      await client.query('SET LOCAL synchronous_commit TO off');
      const active = await this.generations.active(client);
      const { position } = await this.generations.checkpoint(active, client);
      if (active !== generation || position !== expected) throw new Resync();
      await project(client);
      const last = events[events.length - 1];
      await this.generations.setCheckpoint(client, generation, last.globalPosition, last.occurredAt, events.length, true);
      return last.globalPosition;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.loop;
  }
}
