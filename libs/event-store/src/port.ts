/**
 * The event store port. Two adapters implement it (PostgreSQL, the default, and EventStoreDB)
 * and one contract suite (test/contract-suite.ts) holds both to the same behaviour.
 *
 * Positions: `streamPosition` counts from 0 inside a stream; `globalPosition` orders every
 * event of the store. Subscribers receive events in globalPosition order, each exactly once,
 * with no gap even when writers commit out of order.
 */
import type { EventMetadata } from '@coffer/contracts';

/** What a writer expects of the stream before its append (optimistic concurrency). */
export type ExpectedRevision =
  | bigint // the stream's last event is at exactly this position
  | 'no_stream' // the stream must not exist yet
  | 'stream_exists' // the stream must have at least one event
  | 'any'; // no check

export interface NewEvent<Data = unknown> {
  /** Unique in the whole store (UUID). */
  id: string;
  type: string;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Data = unknown> {
  id: string;
  type: string;
  stream: string;
  streamPosition: bigint;
  globalPosition: bigint;
  occurredAt: Date;
  data: Data;
  metadata: EventMetadata;
}

/** What a replay reads of an event's metadata: its schema version, and who caused it (the audit trail's read model). */
export type ReplayedMetadata = Pick<EventMetadata, 'schema_version'> & Partial<EventMetadata>;

/**
 * What folding every event into a model needs of it: no id, its stream (which names the realm of
 * a ledger event; absent: the default realm's), and of the metadata only the schema version (for
 * upcasting), which an adapter may then neither fetch nor decode (they are half of a ledger
 * event's bytes).
 */
export type ReplayedEvent<Data = unknown> = Pick<RecordedEvent<Data>, 'type' | 'data' | 'globalPosition' | 'occurredAt'> & {
  stream?: string;
  metadata?: ReplayedMetadata;
};

export interface AppendRequest {
  stream: string;
  events: NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  stream: string;
  /** Position of the last event written to the stream. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  lastGlobalPosition: bigint;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start; defaults to the first (forwards) or last (backwards) event. */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive checkpoint: events strictly after it are returned. Omit to start at the beginning. */
  after?: bigint;
  maxCount?: number;
  /** Leave out events whose type starts with `$` (system events). Default true. */
  excludeSystemEvents?: boolean;
}

export type EventHandler = (events: RecordedEvent[]) => Promise<void>;

export interface SubscribeOptions {
  /** Exclusive checkpoint; omit to start at the beginning of the store. */
  after?: bigint;
  /** Largest batch handed to the handler at once. */
  batchSize?: number;
  /** Only events of these types (others still advance the position). */
  eventTypes?: readonly string[];
  /**
   * Coalesces wake-ups: at most one read per this many milliseconds while events trickle in
   * (each append would otherwise cost every subscriber a read). Latency for fewer queries;
   * default 10. A full batch is always followed by the next read at once.
   */
  minReadIntervalMs?: number;
}

/** A live subscription to every event. The handler is called with one batch at a time, in order. */
export interface Subscription {
  /** Position of the last event handed to the handler (and awaited). */
  readonly position: bigint | undefined;
  /** Resolves when the subscription stops; rejects with the handler's or reader's error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'postgres' | 'eventstoredb';
  /** Whether appendMany across several streams is atomic (PostgreSQL yes, EventStoreDB no). */
  readonly supportsMultiStreamAppend: boolean;
  append(stream: string, events: NewEvent[], expectedRevision?: ExpectedRevision): Promise<AppendResult>;
  /** Appends to several streams in one transaction: all or nothing. */
  appendMany(requests: AppendRequest[]): Promise<AppendResult[]>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The events readAll returns, cut to what a replay (rebuilding read models) needs. */
  readAllForReplay(options?: ReadAllOptions): Promise<ReplayedEvent[]>;
  /** Position of the newest event a reader can see now (undefined on an empty store). */
  headPosition(): Promise<bigint | undefined>;
  /** How many events the store holds, where the store can say so cheaply (progress bars). */
  countEvents?(): Promise<number>;
  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}
