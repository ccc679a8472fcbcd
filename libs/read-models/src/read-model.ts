/**
 * What every read model file holds (Emmett's `getDetails/index.ts` shape): the DDL of its tables,
 * its row type, its fold of domain events into the changes of a batch, the set-based writes of
 * those changes, and the queries the gateway imports. The projector decides when (generations,
 * checkpoints, rebuild, verify, quarantine); a read model file decides what.
 */
import type { ClientBase } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import type { Settlement } from './transactions';

/**
 * Readers see the serving generation through the views of this schema; a generation's own
 * schema (`coffer_rm_<n>`) is the projector's business, so the DDL and writes take its name.
 */
export const READ_SCHEMA = 'coffer_read';

/** The writes of a fold: a few set-based statements, run in the projector's transaction. */
export type Write = (client: ClientBase, schema: string) => Promise<void>;

/**
 * What the projector computes once per batch, before any fold, and gives to every fold: facts
 * that need the database or more than one read model (which transactions leave pending).
 */
export interface FoldContext {
  /** The transactions leaving pending in the batch, in order (transactions.ts: settle). */
  settlements: readonly Settlement[];
  /** The realm every event of the batch belongs to: the projector folds each realm's apart (realms.ts). */
  realm: string;
}

/**
 * A rebuild's fold of the whole store into an empty generation, page by page, one instance kept
 * across pages: what a later page may still change stays in memory, so each row is written once,
 * in its final state, and nothing is read back.
 */
export interface Replaying {
  /** Folds a page; its write owns its rows (it may COPY them, and run while the next page folds). */
  fold(events: readonly ReplayedEvent[], context: FoldContext): Write;
  /** Writes what the pages left, after the generation got its lookup keys. */
  finish(client: ClientBase, schema: string): Promise<void>;
}

export interface ReadModel {
  /** Its tables with the key each is ordered by when `verify` lists differences, in creation order. */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  /** Its tables in the generation schema `schema`, with the keys its writes look rows up by. */
  ddl(schema: string): string[];
  /**
   * Keys its live writes look rows up by that a replay does not need: a rebuild adds them after
   * its bulk inserts (one sort per key instead of an index entry per row); a live generation is
   * created with them.
   */
  lookupKeyDdl?(schema: string): string[];
  /** Indexes only its queries use: a rebuild builds them once at the end instead of row by row. */
  readerIndexDdl(schema: string): string[];
  /**
   * Folds a batch of events in memory, whatever their kind (others are skipped), and answers the
   * writes of what the batch changed: a few set-based statements whatever its size, run in the
   * projector's transaction so the rows move with the checkpoint. The events come upcast to
   * today's shapes (the projector upcasts once per batch). The fold is pure, so what it throws is
   * the event's fault (the projector quarantines that event); the writes may fail for the
   * database too.
   */
  fold(events: readonly ReplayedEvent[], context: FoldContext): Write;
  /** A rebuild's fold of one realm's events (see Replaying); without it a rebuild folds page by page as the live projector does. */
  replay?(realm: string): Replaying;
  /** Invariants `verify` checks on the serving generation: each problem found, in words. */
  check?(client: ClientBase, schema: string): Promise<string[]>;
}

/** What a query needs of a connection: the gateway passes one that answers "not ready" for missing views. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, any>> }>;
}

export interface Page<T> {
  data: T[];
  /** The cursor of the last item when more follow, else null. */
  next_cursor: string | null;
}

/** `rows` were read with one row more than the page holds: that one says whether another page follows. */
export function page<Row, T>(rows: Row[], limit: number, cursorOf: (row: Row) => string, view: (row: Row) => T): Page<T> {
  const shown = rows.slice(0, limit);
  return { data: shown.map(view), next_cursor: rows.length > limit ? cursorOf(shown[shown.length - 1]) : null };
}

/** Runs a set-based statement over `rows` passed as one JSON parameter; nothing when there are none. */
export async function writeRows(client: Pick<ClientBase, 'query'>, sql: string, rows: unknown[], ...params: unknown[]): Promise<void> {
  if (rows.length) await client.query(sql, [JSON.stringify(rows), ...params]);
}

/** One map key from several parts, none of which can run into the next. */
export const rowKey = (...parts: string[]) => JSON.stringify(parts);

/**
 * A rebuild's page: takes out of `rows` (kept across pages) those no later event can change, to
 * be written once now; the rest stay for later pages and `finish`.
 */
export function takeFinal<Key, Row>(rows: Map<Key, Row>, isFinal: (row: Row) => boolean): Row[] {
  const final: Row[] = [];
  for (const [key, row] of rows) {
    if (!isFinal(row)) continue;
    final.push(row);
    rows.delete(key);
  }
  return final;
}
