import type { EventStore, RecordedEvent, Subscription } from '@coffer/event-store';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';

/**
 * A standby reads the stream's new events at most this often: at a takeover it then has at most
 * this much to read itself (a few hundred events at full load, a few ms), and at rest it costs
 * the database a handful of reads a second rather than one per append.
 */
export const STANDBY_READ_INTERVAL_MS = 100;

/** What tailing the stream needs of the writer whose state it keeps current. */
export interface TailedWriter {
  /** Rebuilds the state unless it is exactly a prefix of the stream. */
  matchStore(): Promise<void>;
  /** Global position of the last event the state includes ('' for none). */
  readonly position: string;
  applyTail(events: RecordedEvent[]): Promise<void>;
}

/**
 * The standby's tail of the store: keeps a writer's state current with the events the active
 * writer appends, so that taking over reads only what the tail has not delivered yet. Retries
 * with a bounded backoff while the store is away, until stopped.
 */
export class StandbyTail {
  private tail: Subscription | undefined;
  private following: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly writer: TailedWriter,
    private readonly eventTypes: readonly string[],
    private readonly logger: JsonLogger,
  ) {}

  start(): void {
    if (this.following) return;
    this.stopped = false;
    this.following = this.run().finally(() => (this.following = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail?.stop();
    await this.following;
    this.tail = undefined;
  }

  private async run(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.writer.matchStore();
        if (this.stopped) return;
        const position = this.writer.position;
        this.tail = this.store.subscribeToAll((events) => this.writer.applyTail(events), {
          after: position === '' ? undefined : BigInt(position),
          eventTypes: this.eventTypes,
          minReadIntervalMs: STANDBY_READ_INTERVAL_MS,
        });
        await this.tail.done;
        if (this.stopped) return;
      } catch (error) {
        if (this.stopped) return;
        this.logger.event(attempt === 1 ? 'warn' : 'debug', 'standby could not follow the stream: retrying', {
          error: (error as Error).message,
          attempt,
        });
        await sleep(retryDelayMs(attempt));
      }
    }
  }
}
