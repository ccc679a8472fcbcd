import type { EventHandler, EventStore, RecordedEvent, SubscribeOptions, Subscription } from './port';

/** How the one read of the store is made; each consumer's own options say how it is handed events. */
export interface SharedReaderOptions {
  /** Events read from the store at once (default 1000): a consumer with a smaller batchSize gets them in slices. */
  batchSize?: number;
  /** As SubscribeOptions.minReadIntervalMs, for the one read every consumer shares (default 25). */
  minReadIntervalMs?: number;
}

/** One consumer of the shared read: its own position, batch size, types and fate. */
interface Consumer {
  readonly handler: EventHandler;
  readonly batchSize: number;
  readonly types: ReadonlySet<string> | undefined;
  /** The last event handed to it and awaited (or skipped as not of its types). */
  position: bigint | undefined;
  stopped: boolean;
  /** Its part of the batch being handed out, while there is one. */
  delivering: Promise<void> | undefined;
  settle(error?: unknown): void;
}

/** a is before b, with undefined (nothing read yet) before every position. */
function before(a: bigint | undefined, b: bigint | undefined): boolean {
  return b !== undefined && (a === undefined || a < b);
}

/**
 * One read of the store for every tail of a process (the projector's read models and its
 * analytics feed): each batch is read and parsed once and handed to every consumer, instead of
 * each consumer running the same SELECT and parsing the same rows. It offers the store's own
 * `subscribeToAll`, over either adapter, so a consumer keeps its loop, position and checkpoint
 * as with a subscription of its own.
 *
 * - Positions: each consumer joins after its own checkpoint. The read starts after the lowest
 *   of them, and a consumer is handed only the events after its own position. One that joins
 *   behind what was already read (a consumer restarting from its checkpoint) makes the read
 *   start again from the lowest position; the others skip what they have already handled.
 * - A consumer whose handler throws is dropped, and its subscription's `done` rejects with the
 *   error, as a subscription of its own would: it restarts from its own checkpoint (joining
 *   again, behind: see above) while the others are handed the rest of the batch and go on. It
 *   loses nothing (its position stays before the batch that failed) and blocks no one.
 * - Memory: one batch is held at a time, shared by every consumer (each is handed its slices of
 *   it). The next batch is read only once every consumer has taken this one, so the slowest
 *   consumer sets the pace of the shared read: the price of reading once.
 * - Consumers are handed a batch at the same time, each awaiting its own handler in order: the
 *   read models' transaction and the feed's publish overlap.
 */
export class SharedReader implements Pick<EventStore, 'subscribeToAll'> {
  private readonly consumers = new Set<Consumer>();
  /** The read of the store, while there are consumers. */
  private reading: Subscription | undefined;
  /** Everything up to here was read by the current read, or it started after it. */
  private readThrough: bigint | undefined;
  /** Set when the current read must end: a consumer joined behind it, or none is left. */
  private restart = false;
  private wake: (() => void) | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<EventStore, 'subscribeToAll'>,
    private readonly options: SharedReaderOptions = {},
  ) {}

  /** Joins the shared read after `options.after`. `minReadIntervalMs` is the reader's (SharedReaderOptions). */
  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    let settle!: (error?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    done.catch(() => undefined); // the consumer awaits it; a consumer that never does must not crash the process
    const consumer: Consumer = {
      handler,
      batchSize: Math.max(1, options.batchSize ?? Number.MAX_SAFE_INTEGER),
      types: options.eventTypes ? new Set(options.eventTypes) : undefined,
      position: options.after,
      stopped: false,
      delivering: undefined,
      settle,
    };
    if (this.closed) {
      consumer.stopped = true;
      settle();
    } else {
      this.consumers.add(consumer);
      // Behind what the current read has reached (or is handing out now): read again from the lowest.
      if (this.reading && before(consumer.position, this.readThrough)) this.restart = true;
      this.loop ??= this.run();
      this.poke();
    }
    return {
      get position() {
        return consumer.position;
      },
      done,
      stop: () => this.leave(consumer),
    };
  }

  /** Ends the read; every consumer still in it sees its subscription end (done resolves). */
  async close(): Promise<void> {
    this.closed = true;
    this.poke();
    await Promise.all([...this.consumers].map((consumer) => this.leave(consumer)));
    await this.loop;
  }

  private async leave(consumer: Consumer): Promise<void> {
    if (!consumer.stopped) {
      this.detach(consumer);
      await consumer.delivering;
      consumer.settle();
    }
  }

  /** Takes a consumer out of the read (it is handed nothing more); with none left, the read stops. */
  private detach(consumer: Consumer): void {
    consumer.stopped = true;
    this.consumers.delete(consumer);
    if (this.consumers.size === 0) this.restart = true; // nobody to read for until one joins again
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private nudged(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** One read at a time, from the lowest consumer's position; ended and started again when `restart` is set. */
  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.consumers.size === 0) {
        await this.nudged();
        continue;
      }
      let from: bigint | undefined = [...this.consumers][0].position;
      for (const consumer of this.consumers) if (before(consumer.position, from)) from = consumer.position;
      this.readThrough = from;
      this.restart = false;
      const reading = this.store.subscribeToAll((events) => this.handOut(events), {
        after: from,
        batchSize: this.options.batchSize ?? 1000,
        minReadIntervalMs: this.options.minReadIntervalMs ?? 25,
      });
      this.reading = reading;
      let ended: { error?: unknown } | undefined;
      void reading.done.then(
        () => (ended = {}),
        (error: unknown) => (ended = { error: error ?? new Error('the shared read failed') }),
      ).finally(() => this.poke());
      while (!ended && !this.restart && !this.closed) await this.nudged();
      if (!ended) {
        await reading.stop(); // waits for the batch being handed out
        this.reading = undefined;
        continue;
      }
      this.reading = undefined;
      // The read itself ended (the store closed) or failed (the reader's own error, not a
      // consumer's): every consumer sees it as on a subscription of its own, and restarts or not.
      for (const consumer of [...this.consumers]) {
        this.consumers.delete(consumer);
        consumer.stopped = true;
        consumer.settle(ended.error);
      }
    }
  }

  /** Hands a batch to every consumer at once; resolves when each has taken its part (or failed). */
  private async handOut(events: RecordedEvent[]): Promise<void> {
    this.readThrough = events[events.length - 1].globalPosition;
    await Promise.all(
      [...this.consumers].map((consumer) => {
        const delivering = this.deliver(consumer, events);
        consumer.delivering = delivering;
        return delivering;
      }),
    );
  }

  private async deliver(consumer: Consumer, events: RecordedEvent[]): Promise<void> {
    let start = 0;
    while (start < events.length && !before(consumer.position, events[start].globalPosition)) start++;
    for (let i = start; i < events.length && !consumer.stopped; i += consumer.batchSize) {
      const slice = i === 0 && events.length <= consumer.batchSize ? events : events.slice(i, i + consumer.batchSize);
      const wanted = consumer.types ? slice.filter((event) => consumer.types!.has(event.type)) : slice;
      try {
        if (wanted.length > 0) await consumer.handler(wanted);
      } catch (error) {
        // Dropped, its position before this slice: it restarts from its own checkpoint.
        this.detach(consumer);
        consumer.settle(error ?? new Error('the consumer failed'));
        return;
      }
      consumer.position = slice[slice.length - 1].globalPosition;
    }
  }
}
