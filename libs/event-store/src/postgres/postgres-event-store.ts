import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { unstorableNames } from '../content';
import { ContentRefusedError, DuplicateEventIdError, WrongExpectedRevisionError } from '../errors';
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
  ReplayedMetadata,
  SubscribeOptions,
  Subscription,
} from '../port';
import { AppendListener } from './append-listener';
import { horizonQuery } from './horizon';
import { POSITIONS_PER_TRANSACTION, quoteIdentifier, schemaStatements } from './schema';
import { PollingSubscription, type VisibleRead } from './polling-subscription';
import { createUnderLock } from './schema-lock';

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Schema holding the store's tables (default `coffer_es`). */
  schema?: string;
  /** Connections the store may open for appends and reads. */
  poolSize?: number;
  /**
   * Builds the pool from the store's settings: the services pass their bounded pool factory
   * (statement timeout, pool wait) so the store's pool is bounded like every other.
   */
  createPool?: (config: PoolConfig) => Pool;
}

interface EventRow {
  global_position: string;
  event_id: string;
  stream: string;
  stream_position: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  occurred_at: Date;
}

/** What readAllForReplay fetches of an event (occurred_at as epoch milliseconds, see toReplayed). */
interface ReplayRow {
  global_position: string;
  /** Its realm, for read models that hold several (`ledger-<realm>`). */
  stream: string;
  type: string;
  data: unknown;
  /** The metadata but its idempotency bookkeeping (its schema_version: a number, or anything an old writer left there). */
  metadata: ReplayedMetadata | null;
  occurred_ms: string;
}

const COLUMNS = ['global_position', 'event_id', 'stream', 'stream_position', 'type', 'data', 'metadata', 'occurred_at'];
const REPLAY_COLUMNS = [
  'global_position',
  'stream',
  'type',
  'data',
  // What the read models read of the metadata: its schema_version (upcasting) and who caused the
  // event (the audit trail); the idempotency bookkeeping stays behind.
  "metadata - '{causation_id,request_hash,deadline_epoch_ms,remembered_until_epoch_ms}'::text[] AS metadata",
  'floor(extract(epoch FROM occurred_at) * 1000)::bigint AS occurred_ms',
];
const DEFAULT_READ_BATCH = 1000;

export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly supportsMultiStreamAppend = true;
  private readonly table: string;
  private readonly streamsTable: string;
  private readonly listener: AppendListener;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly horizonSql: string;

  private constructor(
    private readonly pool: Pool,
    readonly schema: string,
    connectionString: string,
  ) {
    const s = quoteIdentifier(schema);
    this.table = `${s}.events`;
    this.streamsTable = `${s}.streams`;
    this.horizonSql = horizonQuery(this.table, this.streamsTable);
    this.listener = new AppendListener(connectionString, schema);
  }

  /** Connects and creates the schema if it is missing. */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const schema = options.schema ?? 'coffer_es';
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      // Every query of the store is a primary-key or unique-index lookup or range, in index
      // order. On a table that grew since it was last analyzed the planner has chosen a full
      // sequential scan and sort instead (0.35–0.6 s for a 5,000-event page at 200 k events,
      // the whole cost of a rebuild page): on these connections it may not.
      options: '-c enable_seqscan=off -c enable_sort=off',
    };
    // An idle client's error surfaces on its next query. pg-pool listens on idle clients only:
    // a checked-out client (a transaction) whose server goes away would emit 'error' with nobody
    // listening and kill the process, so every client gets a listener for its whole life (its
    // query in flight still rejects, and a client no longer queryable is discarded on release).
    const pool = options.createPool ? options.createPool(config) : new Pool(config);
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PostgresEventStore(pool, schema, options.connectionString);
    await store.ensureSchema();
    return store;
  }

  private async ensureSchema(): Promise<void> {
    await createUnderLock(this.pool, `coffer-event-store:${this.schema}`, schemaStatements(this.schema));
  }


  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision = 'any'): Promise<AppendResult> {
    const [result] = await this.appendMany([{ stream, events, expectedRevision }]);
    return result;
  }

  async appendMany(requests: AppendRequest[]): Promise<AppendResult[]> {
    const total = requests.reduce((sum, request) => sum + request.events.length, 0);
    if (requests.length === 0 || requests.some((request) => request.events.length === 0)) {
      throw new RangeError('an append needs at least one event per stream');
    }
    if (total > POSITIONS_PER_TRANSACTION) {
      throw new RangeError(`at most ${POSITIONS_PER_TRANSACTION} events per append, got ${total}`);
    }
    // Data and metadata are checked by PostgreSQL itself (jsonb); a stream name or type is text,
    // where node-pg would store a lone surrogate as U+FFFD without a word.
    for (const request of requests) {
      const unstorable = unstorableNames(request.stream, request.events);
      if (unstorable) throw new ContentRefusedError(unstorable);
    }
    if (requests.length === 1) {
      // One statement is one transaction: a single round trip for the common case.
      return [await this.appendStatement(this.pool, requests[0], 0)];
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const results: AppendResult[] = [];
      let offset = 0;
      for (const request of requests) {
        results.push(await this.appendStatement(client, request, offset));
        offset += request.events.length;
      }
      await client.query('COMMIT');
      return results;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Checks and advances the stream's revision and inserts its events in one statement. When the
   * revision check fails the revision CTE yields no row, so nothing is inserted.
   */
  private async appendStatement(
    db: Pool | PoolClient,
    { stream, events, expectedRevision }: AppendRequest,
    indexOffset: number,
  ): Promise<AppendResult> {
    const n = events.length;
    const revisionCte = this.revisionCte(expectedRevision);
    const sql = `
      WITH rev AS (${revisionCte}),
           tx AS (SELECT pg_current_xact_id()::text::bigint * ${POSITIONS_PER_TRANSACTION} AS base)
      INSERT INTO ${this.table} (global_position, event_id, stream, stream_position, type, data, metadata)
      SELECT tx.base + $3::bigint + e.ordinality - 1, e.id, $1, rev.previous + e.ordinality,
             e.type, e.data, e.metadata
        FROM rev, tx,
             ROWS FROM (jsonb_to_recordset($4::jsonb) AS (id uuid, type text, data jsonb, metadata jsonb)) WITH ORDINALITY
               AS e(id, type, data, metadata, ordinality)
      RETURNING global_position, stream_position`;
    // The batch travels as one JSON array, parsed once by PostgreSQL: as four arrays, pg escaped
    // every JSON text into an array literal (quotes and backslashes doubled) and PostgreSQL
    // unescaped it again before parsing the JSON, about twice the work on both sides.
    const batch = events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
    const params: unknown[] = [stream, n, indexOffset, JSON.stringify(batch)];
    if (typeof expectedRevision === 'bigint') params.push(expectedRevision.toString());
    let rows: Array<{ global_position: string; stream_position: string }>;
    try {
      ({ rows } = await db.query(sql, params));
    } catch (error) {
      throw translateError(error, events);
    }
    if (rows.length === 0) {
      throw new WrongExpectedRevisionError(stream, expectedRevision, await this.currentRevision(db, stream));
    }
    let last = rows[0];
    for (const row of rows) if (BigInt(row.global_position) > BigInt(last.global_position)) last = row;
    return {
      stream,
      nextExpectedRevision: BigInt(last.stream_position),
      lastGlobalPosition: BigInt(last.global_position),
    };
  }

  /** A CTE yielding one row `previous` (the revision before the append) only when the check passes. */
  private revisionCte(expected: ExpectedRevision): string {
    const t = this.streamsTable;
    switch (expected) {
      case 'no_stream':
        return `INSERT INTO ${t} (stream, revision) VALUES ($1, $2::bigint - 1)
                ON CONFLICT (stream) DO NOTHING RETURNING -1::bigint AS previous`;
      case 'any':
        return `INSERT INTO ${t} (stream, revision) VALUES ($1, $2::bigint - 1)
                ON CONFLICT (stream) DO UPDATE SET revision = ${t}.revision + $2::bigint
                RETURNING revision - $2::bigint AS previous`;
      case 'stream_exists':
        return `UPDATE ${t} SET revision = revision + $2::bigint WHERE stream = $1
                RETURNING revision - $2::bigint AS previous`;
      default:
        return `UPDATE ${t} SET revision = revision + $2::bigint WHERE stream = $1 AND revision = $5::bigint
                RETURNING revision - $2::bigint AS previous`;
    }
  }

  private async currentRevision(db: Pool | PoolClient, stream: string): Promise<bigint | 'no_stream'> {
    const { rows } = await db.query(`SELECT revision FROM ${this.streamsTable} WHERE stream = $1`, [stream]);
    return rows.length ? BigInt(rows[0].revision) : 'no_stream';
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const params: unknown[] = [stream, options.maxCount ?? 2 ** 31 - 1];
    let from = '';
    if (options.fromRevision !== undefined) {
      params.push(options.fromRevision.toString());
      from = backwards ? 'AND stream_position <= $3' : 'AND stream_position >= $3';
    }
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS.join(', ')} FROM ${this.table} WHERE stream = $1 ${from}
       ORDER BY stream_position ${backwards ? 'DESC' : 'ASC'} LIMIT $2`,
      params,
    );
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { events } = await this.readVisible(options.after, options.maxCount ?? DEFAULT_READ_BATCH);
    return withoutSystemEvents(events, options);
  }

  async readAllForReplay(options: ReadAllOptions = {}): Promise<ReplayedEvent[]> {
    const maxCount = options.maxCount ?? DEFAULT_READ_BATCH;
    const { events } = await this.readVisibleAs(REPLAY_COLUMNS, toReplayed, options.after, maxCount);
    return withoutSystemEvents(events, options);
  }

  /**
   * Events after `after` that no running transaction can still precede. `blocked` says that
   * newer events are already committed but wait behind a transaction still running, so the
   * caller should look again soon (that transaction may roll back and never notify).
   */
  async readVisible(after: bigint | undefined, maxCount: number, types?: readonly string[]): Promise<VisibleRead> {
    return this.readVisibleAs(COLUMNS, toRecorded, after, maxCount, types);
  }

  /** readVisible fetching `columns` of each event and decoding its row with `decode`. */
  private async readVisibleAs<Row, Event extends ReplayedEvent>(
    columns: readonly string[],
    decode: (row: Row) => Event,
    after: bigint | undefined,
    maxCount: number,
    types?: readonly string[],
  ): Promise<VisibleRead<Event>> {
    const horizon = await this.horizon();
    const params: unknown[] = [(after ?? -1n).toString(), horizon.toString(), maxCount];
    // "Is anything held back?" asks for the newest position (one step down the primary key), not
    // EXISTS (… >= $2): on a table that grew since it was last analyzed the planner expects
    // most rows to match and scans the whole table in sequence, finding none (0.4 s at 1 M events).
    const byType = types ? `AND type = ANY($${params.push(types)})` : '';
    const { rows } = await this.pool.query<Row & { waiting: boolean }>(
      `SELECT e.*, false AS waiting FROM (
         SELECT ${columns.join(', ')} FROM ${this.table}
          WHERE global_position > $1 AND global_position < $2 ${byType}
          ORDER BY global_position LIMIT $3) e
       UNION ALL
       SELECT ${columns.map(() => 'null').join(', ')}, true
        WHERE (SELECT max(global_position) FROM ${this.table}) >= $2`,
      params,
    );
    const events = rows.filter((row) => !row.waiting).map(decode);
    if (events.length === maxCount) return { events, blocked: false, through: events[events.length - 1].globalPosition };
    // Fewer than asked: the scan reached just below the horizon (unless the caller was already there).
    const below = horizon - 1n;
    const through = below < 0n || (after !== undefined && after >= below) ? after : below;
    return { events, blocked: rows.length > events.length, through };
  }

  /** See horizon.ts: a statement of its own, run before the read that relies on it. */
  private async horizon(): Promise<bigint> {
    const { rows } = await this.pool.query<{ below: string }>(this.horizonSql);
    return BigInt(rows[0].below);
  }

  async countEvents(): Promise<number> {
    const { rows } = await this.pool.query(`SELECT count(*)::bigint AS n FROM ${this.table}`);
    return Number(rows[0].n);
  }

  async headPosition(): Promise<bigint | undefined> {
    const horizon = await this.horizon();
    const { rows } = await this.pool.query(
      `SELECT max(global_position) AS head FROM ${this.table} WHERE global_position < $1`,
      [horizon.toString()],
    );
    return rows[0].head === null ? undefined : BigInt(rows[0].head);
  }

  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new PollingSubscription(this, this.listener, handler, options);
    this.subscriptions.add(subscription);
    subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.listener.close();
    await this.pool.end();
  }
}

function withoutSystemEvents<Event extends ReplayedEvent>(events: Event[], options: ReadAllOptions): Event[] {
  return options.excludeSystemEvents === false ? events : events.filter((event) => !event.type.startsWith('$'));
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    stream: row.stream,
    streamPosition: BigInt(row.stream_position),
    globalPosition: BigInt(row.global_position),
    occurredAt: row.occurred_at,
    data: row.data,
    metadata: row.metadata,
  };
}

/**
 * The time comes as whole epoch milliseconds (floored, as parsing the timestamp's text truncates
 * to a Date's milliseconds): a number is far cheaper to decode than that text.
 */
function toReplayed(row: ReplayRow): ReplayedEvent {
  return {
    type: row.type,
    stream: row.stream,
    globalPosition: BigInt(row.global_position),
    occurredAt: new Date(Number(row.occurred_ms)),
    data: row.data,
    metadata: row.metadata ?? { schema_version: undefined as unknown as number },
  };
}

/**
 * SQLSTATEs that refuse an append's content, never the store, and why each can only be that:
 * the append is one INSERT of values we computed (ids, positions, revisions) and values the
 * caller gave (stream, type, data, metadata), so only the caller's values can be malformed.
 * - 22P05 untranslatable character: U+0000 in a jsonb string (data or metadata);
 * - 22P02 invalid text representation: JSON jsonb cannot read, such as an escaped lone surrogate;
 * - 22021 character not in repertoire: U+0000 in a text value (stream name or type).
 * Not the rest of class 22 (22003, a number out of range, is also a stream revision past bigint,
 * the store's own) nor 54000 (program limit exceeded is also "too many notifications in the
 * NOTIFY queue", and every append notifies): those are faults of the store, fail-stop. The reason
 * is named by condition only: PostgreSQL's message may quote the value, and a refusal must never
 * carry it.
 */
const CONTENT_CONDITIONS: Record<string, string> = {
  '22P05': 'U+0000 in JSON (untranslatable character)',
  '22P02': 'invalid JSON, such as a lone surrogate (invalid text representation)',
  '22021': 'a character not in UTF-8, such as U+0000 in text',
};

function translateError(error: unknown, events: NewEvent[]): unknown {
  const pgError = error as { code?: string; constraint?: string; detail?: string; message?: string };
  if (pgError.code === '23505' && pgError.constraint?.endsWith('event_id_key')) {
    const id = /\(event_id\)=\(([^)]+)\)/.exec(pgError.detail ?? '')?.[1] ?? events[0]?.id ?? 'unknown';
    return new DuplicateEventIdError(id);
  }
  const condition = pgError.code ? CONTENT_CONDITIONS[pgError.code] : undefined;
  if (condition) return new ContentRefusedError(`PostgreSQL ${pgError.code}: ${condition}`);
  return error;
}
