import type { PoolClient } from 'pg';
import type { EventStore, RecordedEvent, Subscription } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
import { isEventFault } from '../quarantine';
import { projectBatch } from './batch-projection';
import type { Generations } from './generations';
import { projectEventByEvent } from './isolation';

/** The active generation or its checkpoint moved under us (a rebuild swapped): start again from it. */
class Resync extends Error {}

const RESTART_DELAY_MS = 500;

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
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    await this.generations.ensure();
    while (!this.stopped) {
      try {
        const generation = await this.generations.active();
        const { position } = await this.generations.checkpoint(generation);
        let committed = position;
        this.subscription = this.store.subscribeToAll(
          async (events) => {
            committed = await this.commit(generation, committed, events);
          },
          // Fewer, larger batches: each costs a transaction of ~8 statements whatever its size;
          // 25 ms keeps read-your-writes waits well inside the 250 ms lag budget.
          { after: position, batchSize: this.batchSize, minReadIntervalMs: 25 },
        );
        await this.subscription.done;
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof Resync)) {
          this.logger.event('error', 'projection failed, restarting from the checkpoint', {
            error: (error as Error).message,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, error instanceof Resync ? 0 : RESTART_DELAY_MS));
      }
    }
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
