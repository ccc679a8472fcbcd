/**
 * Events a reader of the store could not take, set aside so that one event never stops it for
 * ever: an event the read models cannot project (a field missing or of the wrong kind, a value
 * too large for its column) or the feed cannot publish (larger than a NATS message may be).
 * Each is kept here with its id, position, type and error, counted in a metric and reported by
 * `verify`, which fails while any is here: never silently skipped.
 *
 * One table for every reader: `consumer` is `read-models:<generation>` (a rebuild starts a new
 * generation with none, so an event that a fixed projection can take again leaves quarantine
 * with the old generation) or `feed`.
 */
import type { Pool, PoolClient } from 'pg';
import { createUnderLock } from '@coffer/event-store';

export const QUARANTINE_TABLE = 'coffer_meta.quarantine';
export const FEED_CONSUMER = 'feed';
export const readModelsConsumer = (generation: number): string => `read-models:${generation}`;

/** Idempotent; run under the read-model lock by Generations.ensure, and by the feed. */
export const QUARANTINE_DDL = [
  'CREATE SCHEMA IF NOT EXISTS coffer_meta',
  `CREATE TABLE IF NOT EXISTS ${QUARANTINE_TABLE} (
     consumer text NOT NULL,
     global_position bigint NOT NULL,
     event_id uuid,
     type text NOT NULL,
     error text NOT NULL,
     quarantined_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (consumer, global_position))`,
];

/** Longest error text kept, in characters: enough for any message of ours or PostgreSQL's. */
const MAX_ERROR_LENGTH = 1000;
/** What a text column cannot hold or a reader should not get: replaced, so the row itself is always storable. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\p{Cs}/gu;

export interface QuarantinedEvent {
  consumer: string;
  global_position: string;
  event_id: string | null;
  type: string;
  error: string;
  quarantined_at: Date;
}

export interface Quarantinable {
  id?: string;
  type: string;
  globalPosition: bigint;
}

/**
 * Errors of a reader that are the event's own fault, so that retrying can never help: the fold
 * threw on its data (UnprojectableEventError), or PostgreSQL refused a value (SQLSTATE class 22
 * data exception, 23 integrity, 54000 beyond a size). Anything else (a lost connection, a
 * timeout) is a fault: the reader retries from its checkpoint and quarantines nothing.
 */
export function isEventFault(error: unknown): boolean {
  if (error instanceof UnprojectableEventError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22...|23...|54000)$/.test(code);
}

/** The fold of a batch threw on an event's data: never the database's fault. */
export class UnprojectableEventError extends Error {
  override readonly name = 'UnprojectableEventError';
  constructor(override readonly cause: unknown) {
    super(`the event cannot be folded: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Runs pure folding code: what it throws is an event's fault, told apart from the database's. */
export function folding<T>(fold: () => T): T {
  try {
    return fold();
  } catch (error) {
    throw new UnprojectableEventError(error);
  }
}

export function safeText(text: string, maxLength = MAX_ERROR_LENGTH): string {
  return text.replace(UNSAFE, '\ufffd').slice(0, maxLength);
}

/** Sets an event aside for a consumer (again: a no-op), in the caller's transaction when given one. */
export async function quarantine(db: Pool | PoolClient, consumer: string, event: Quarantinable, error: unknown): Promise<void> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await db.query(
    `INSERT INTO ${QUARANTINE_TABLE} (consumer, global_position, event_id, type, error) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (consumer, global_position) DO NOTHING`,
    [consumer, event.globalPosition.toString(), event.id ?? null, safeText(event.type, 200), safeText(message)],
  );
}

export async function quarantined(db: Pool | PoolClient, consumers: string[]): Promise<QuarantinedEvent[]> {
  const { rows } = await db.query<QuarantinedEvent>(
    `SELECT consumer, global_position::text, event_id, type, error, quarantined_at
       FROM ${QUARANTINE_TABLE} WHERE consumer = ANY($1) ORDER BY consumer, global_position`,
    [consumers],
  );
  return rows;
}

/** The lock Generations.ensure takes too: concurrent CREATE … IF NOT EXISTS can collide. */
const DDL_LOCK = 'coffer-read-models';

/** For a reader that does not start with Generations.ensure (the feed). */
export async function ensureQuarantine(pool: Pool): Promise<void> {
  await createUnderLock(pool, DDL_LOCK, QUARANTINE_DDL);
}
