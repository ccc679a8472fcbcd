import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from '../port';
import type { AppendListener } from './append-listener';

interface VisibleReader {
  readVisible(after: bigint | undefined, maxCount: number): Promise<{ events: RecordedEvent[]; blocked: boolean }>;
}

/** Longest wait without a notification (covers a lost LISTEN connection). */
const IDLE_POLL_MS = 1000;
/** Re-read delay while newer events wait behind a transaction still running. */
const BLOCKED_POLL_MS = 5;
const RETRY_AFTER_ERROR_MS = 500;

/**
 * Reads every visible event after the checkpoint in batches, hands each batch to the handler
 * and waits for it before reading on: in order, once each. Sleeps on the append listener when
 * caught up.
 */
export class PollingSubscription implements Subscription {
  private current: bigint | undefined;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly reader: VisibleReader,
    private readonly listener: AppendListener,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.current = options.after;
    this.done = this.run();
  }

  get position(): bigint | undefined {
    return this.current;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    const types = this.options.eventTypes ? new Set(this.options.eventTypes) : undefined;
    await this.listener.ready();
    while (!this.stopped) {
      let read: { events: RecordedEvent[]; blocked: boolean };
      try {
        read = await this.reader.readVisible(this.current, batchSize);
      } catch (error) {
        if (this.stopped) return;
        // The database may be restarting: keep the checkpoint and try again.
        await this.listener.wait(RETRY_AFTER_ERROR_MS);
        continue;
      }
      if (this.stopped) return;
      const { events, blocked } = read;
      if (events.length > 0) {
        const wanted = events.filter((event) => !event.type.startsWith('$') && (!types || types.has(event.type)));
        if (wanted.length > 0) await this.handler(wanted);
        this.current = events[events.length - 1].globalPosition;
        if (events.length === batchSize) continue;
      }
      await this.listener.wait(blocked ? BLOCKED_POLL_MS : IDLE_POLL_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listener.wakeAll();
    await this.done.catch(() => undefined);
  }
}
