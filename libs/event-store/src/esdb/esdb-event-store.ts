import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Direction,
  type JSONType,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { unstorableContent } from '../content';
import { ContentRefusedError, UnsupportedOperationError, WrongExpectedRevisionError } from '../errors';
import type {
  AppendRequest,
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReplayedEvent,
  SubscribeOptions,
  Subscription,
} from '../port';

/** The part of the client the adapter uses; the constructor takes one so tests can hand in a fake. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

const DEFAULT_READ_BATCH = 1000;
const DEFAULT_SUBSCRIPTION_BATCH = 500;
/** Smallest $all page read, so that skipping a run of system events takes few round trips. */
const MIN_PAGE = 64;
/** Servers before 22.6 report no $all position on stream reads; the port needs a bigint. */
const UNKNOWN_POSITION = -1n;

export class EventStoreDbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  readonly supportsMultiStreamAppend = false;
  private readonly subscriptions = new Set<EsdbSubscription>();

  constructor(private readonly client: EsdbClient) {}

  /** The client connects lazily (and reconnects by itself): a bad URL surfaces on the first call. */
  static async connect(connectionString: string): Promise<EventStoreDbEventStore> {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision = 'any'): Promise<AppendResult> {
    // ESDB accepts an empty append; the PostgreSQL adapter does not, and the port keeps one behaviour.
    if (events.length === 0) throw new RangeError('an append needs at least one event per stream');
    // EventStoreDB would store these; PostgreSQL (and so the read models) cannot: refused alike.
    const unstorable = unstorableContent(stream, events);
    if (unstorable) throw new ContentRefusedError(unstorable);
    const data = events.map((event) => jsonEvent({ ...event, data: event.data as JSONType }));
    try {
      const options = { expectedRevision: toEsdbRevision(expectedRevision) };
      const result = await this.client.appendToStream(stream, data, options);
      return {
        stream,
        nextExpectedRevision: result.nextExpectedRevision,
        lastGlobalPosition: result.position?.commit ?? UNKNOWN_POSITION,
      };
    } catch (error) {
      throw translateAppendError(error, stream, expectedRevision);
    }
  }

  async appendMany(requests: AppendRequest[]): Promise<AppendResult[]> {
    // Refuse before writing anything: appending stream by stream could leave half a transaction behind.
    if (requests.length > 1) {
      throw new UnsupportedOperationError('EventStoreDB cannot append to several streams atomically');
    }
    if (requests.length === 0) throw new RangeError('an append needs at least one event per stream');
    const [{ stream, events, expectedRevision }] = requests;
    return [await this.append(stream, events, expectedRevision)];
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    const read = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    try {
      for await (const resolved of read) if (resolved.event) events.push(toRecorded(resolved.event));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const keep = options.excludeSystemEvents === false ? () => true : isUserEvent;
    return this.scanAll(FORWARDS, options.after, options.maxCount ?? DEFAULT_READ_BATCH, keep);
  }

  /** The client always reads whole events: a full event is also a replayed one. */
  async readAllForReplay(options: ReadAllOptions = {}): Promise<ReplayedEvent[]> {
    return this.readAll(options);
  }

  async headPosition(): Promise<bigint | undefined> {
    // Subscriptions never see system events, so a system event at the head would be a position no
    // subscriber could reach: the head is the newest non-system event.
    const [newest] = await this.scanAll(BACKWARDS, undefined, 1, isUserEvent);
    return newest?.globalPosition;
  }

  /**
   * Up to maxCount events of $all that `keep` accepts, strictly after (forwards) or before
   * (backwards) `after`. The client cannot filter reads on the server, so this reads page after page
   * until enough are kept: a run of system events must not end a read early.
   */
  private async scanAll(
    direction: Direction,
    after: bigint | undefined,
    maxCount: number,
    keep: (event: RecordedEvent) => boolean,
  ): Promise<RecordedEvent[]> {
    const kept: RecordedEvent[] = [];
    let cursor = after;
    for (let exhausted = false; !exhausted && kept.length < maxCount; ) {
      const start = cursor;
      const fromPosition: ReadPosition =
        start === undefined ? (direction === FORWARDS ? START : END) : { commit: start, prepare: start };
      // +1: a forward read includes the event at its start position, the exclusive cursor.
      const pageSize = Math.min(Math.max(maxCount - kept.length + 1, MIN_PAGE), DEFAULT_READ_BATCH);
      let read = 0;
      // Each page is read to its end, so no gRPC call is left half-consumed.
      for await (const resolved of this.client.readAll({ direction, fromPosition, maxCount: pageSize })) {
        read++;
        const event = resolved.event && toRecorded(resolved.event); // no event: a link whose target is gone
        if (!event || !isBeyond(event.globalPosition, cursor, direction)) continue;
        cursor = event.globalPosition;
        if (keep(event)) kept.push(event);
      }
      exhausted = read < pageSize || cursor === start;
    }
    return kept.slice(0, maxCount);
  }

  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const { after, eventTypes } = options;
    const source = this.client.subscribeToAll({
      fromPosition: after === undefined ? START : { commit: after, prepare: after },
      // The server filters types by prefix only; EsdbSubscription keeps the exact types.
      filter: eventTypes?.length ? eventTypeFilter({ prefixes: [...eventTypes] }) : excludeSystemEvents(),
    });
    const subscription = new EsdbSubscription(source, handler, options);
    this.subscriptions.add(subscription);
    subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }
}

/**
 * Reads the client's catch-up subscription and hands events to the handler in order, awaiting each
 * batch before taking the next. A batch is what the stream has already buffered (up to batchSize):
 * it never waits for more events to fill one.
 */
class EsdbSubscription implements Subscription {
  private current: bigint | undefined;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.current = options.after;
    // Errors reach `done` through the iterator; this only keeps one raised after the end (a late
    // gRPC error once we have unsubscribed) from crashing the process as an unhandled 'error'.
    source.on('error', () => undefined);
    this.done = this.run();
  }

  get position(): bigint | undefined {
    return this.current;
  }

  private async run(): Promise<void> {
    const batchSize = Math.max(1, this.options.batchSize ?? DEFAULT_SUBSCRIPTION_BATCH);
    const types = this.options.eventTypes ? new Set(this.options.eventTypes) : undefined;
    const iterator = this.source[Symbol.asyncIterator]();
    try {
      let event: RecordedEvent | undefined;
      while (!this.stopped && (event = await this.pull(iterator, false))) {
        const batch = [event];
        while (batch.length < batchSize && (event = await this.pull(iterator, true))) batch.push(event);
        if (this.stopped) return;
        const wanted = batch.filter((e) => (types ? types.has(e.type) : isUserEvent(e)));
        if (wanted.length > 0) await this.handler(wanted);
        // Events filtered out (prefix matches of other types) still move the checkpoint on.
        this.current = batch[batch.length - 1].globalPosition;
      }
    } finally {
      this.stopped = true;
      this.source.destroy();
      await this.source.unsubscribe().catch(() => undefined);
    }
  }

  /**
   * The next event after the checkpoint, or undefined at the end (or, when `buffered`, as soon as
   * the stream holds nothing more). After stop() the destroyed stream's error is expected.
   */
  private async pull(
    iterator: AsyncIterator<AllStreamResolvedEvent>,
    buffered: boolean,
  ): Promise<RecordedEvent | undefined> {
    try {
      while (!buffered || this.source.readableLength > 0) {
        const next = await iterator.next();
        if (next.done) return undefined;
        const event = next.value.event && toRecorded(next.value.event);
        // The server may deliver the event at `fromPosition`, which was handled already.
        if (event && (this.current === undefined || event.globalPosition > this.current)) return event;
      }
      return undefined;
    } catch (error) {
      if (this.stopped) return undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Destroying wakes a reader waiting for the next event; run() then unsubscribes.
    this.source.destroy();
    await this.done.catch(() => undefined);
  }
}

/**
 * The port's errors for what the client throws on an append: a revision conflict, or content the
 * server or the client refuses (too large an append, an argument it cannot send). The rest is a
 * fault of the store and passes through.
 */
function translateAppendError(error: unknown, stream: string, expectedRevision: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion; // undefined when the server sent no detail
    const known = typeof actual === 'bigint' || actual === NO_STREAM;
    return new WrongExpectedRevisionError(stream, expectedRevision, known ? actual : 'unknown');
  }
  if (error instanceof MaxAppendSizeExceededError) {
    return new ContentRefusedError(`EventStoreDB: the append exceeds its ${error.maxAppendSize} bytes`);
  }
  if (error instanceof InvalidArgumentError) return new ContentRefusedError('EventStoreDB: an invalid argument');
  return error;
}

/** The port's revision kinds, spelled as the client spells them. */
const ESDB_REVISIONS: Record<Exclude<ExpectedRevision, bigint>, AppendExpectedRevision> = {
  no_stream: NO_STREAM,
  stream_exists: STREAM_EXISTS,
  any: ANY,
};

function toEsdbRevision(expected: ExpectedRevision): AppendExpectedRevision {
  return typeof expected === 'bigint' ? expected : ESDB_REVISIONS[expected];
}

function toRecorded(event: EsdbRecordedEvent): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    stream: event.streamId,
    streamPosition: event.revision,
    globalPosition: event.position?.commit ?? UNKNOWN_POSITION,
    occurredAt: event.created,
    data: event.data,
    metadata: event.metadata as RecordedEvent['metadata'],
  };
}

/** Whether a position lies strictly past the cursor in the read's direction. */
function isBeyond(position: bigint, cursor: bigint | undefined, direction: Direction): boolean {
  return cursor === undefined || (direction === FORWARDS ? position > cursor : position < cursor);
}

/** System events (`$…` types) are the server's own: statistics, metadata, links, settings. */
function isUserEvent(event: RecordedEvent): boolean {
  return !event.type.startsWith('$');
}
