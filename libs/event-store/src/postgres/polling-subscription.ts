import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from '../port';
import type { AppendListener } from './append-listener';

interface VisibleReader {
  readVisible(after: bigint | undefined, maxCount: number, types?: readonly string[]): Promise<VisibleRead>;
}

export interface VisibleRead<Event = RecordedEvent> {
  events: Event[];
  /** Newer events are committed but wait behind an appender still running: look again soon. */
  blocked: boolean;
  /** Every event up to here was read (or filtered out by type): the next read starts after it. */
  through: bigint | undefined;
}

/** Longest wait without a notification (covers a lost LISTEN connection). */
const IDLE_POLL_MS = 1000;
/** Re-read delay while newer events wait behind a transaction still running. */
const BLOCKED_POLL_MS = 5;
const RETRY_AFTER_ERROR_MS = 500;
const DEFAULT_MIN_READ_INTERVAL_MS = 10;

/**
 * Reads every visible event after the checkpoint in batches, hands each batch to the handler
 * and waits for it before reading on: in order, once each. Sleeps on the append listener when
 * caught up.
 */
export class PollingSubscription implements Subscription {
  /** Where the next read starts: may be past the last event when a type filter skipped some. */
  private current: bigint | undefined;
  private lastRead: bigint | undefined;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly reader: VisibleReader,
    private readonly listener: AppendListener,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.current = options.after;
    this.lastRead = options.after;
    this.done = this.run();
  }

  /** The last event read (handed to the handler); reading itself goes on from `current`. */
  get position(): bigint | undefined {
    return this.lastRead;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    const minInterval = this.options.minReadIntervalMs ?? DEFAULT_MIN_READ_INTERVAL_MS;
    // Filtered in SQL: a subscriber to a few types neither fetches nor decodes the rest.
    const types = this.options.eventTypes ? [...this.options.eventTypes] : undefined;
    await this.listener.ready();
    while (!this.stopped) {
      const sequence = this.listener.sequence;
      const readAt = Date.now();
      let read: VisibleRead;
      try {
        read = await this.reader.readVisible(this.current, batchSize, types);
      } catch (error) {
        if (this.stopped) return;
        // The database may be restarting: keep the checkpoint and try again.
        await this.listener.wait(RETRY_AFTER_ERROR_MS);
        continue;
      }
      if (this.stopped) return;
      const { events, blocked, through } = read;
      const wanted = events.filter((event) => !event.type.startsWith('$'));
      if (wanted.length > 0) await this.handler(wanted);
      if (events.length > 0) this.lastRead = events[events.length - 1].globalPosition;
      if (through !== undefined && (this.current === undefined || through > this.current)) this.current = through;
      if (events.length === batchSize) continue;
      await this.listener.wait(blocked ? BLOCKED_POLL_MS : IDLE_POLL_MS, sequence);
      const early = readAt + minInterval - Date.now();
      if (early > 0 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, early));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listener.wakeAll();
    await this.done.catch(() => undefined);
  }
}
