import { POSITIONS_PER_TRANSACTION } from './schema';

/**
 * The read horizon: the lowest global position that a transaction still running might yet
 * commit. Readers hand out only events below it, so none can ever appear behind a position a
 * reader has passed (the gap problem, see schema.ts).
 *
 * A cluster-wide `pg_snapshot_xmin` would be a correct horizon but a needlessly low one: every
 * transaction on the server (a projector's read-model batch, another database's work) would
 * hold readers back, and under load subscribers would spend their time re-polling behind
 * transactions that never append. So only transactions that can append count: those holding a
 * write lock (RowExclusiveLock or stronger; plain reads take weaker ones) on this store's
 * `events` or `streams` table. An append statement locks both tables when it is parsed, before
 * it executes and is given its transaction id, and keeps the locks until the transaction ends.
 *
 * Why this is exact, given that `pg_locks` is live while a snapshot is fixed: the caller runs
 * this query first and reads events in a later statement (a later snapshot). Take any appending
 * transaction X.
 * - X got its id at or after this statement's snapshot: its id is ≥ `xmax`, so it is at or above
 *   the horizon.
 * - X got its id before the snapshot and still runs when `pg_locks` is read: it holds the table
 *   lock and its transaction-id lock, so it is listed and the horizon is at or below it.
 * - X got its id before the snapshot and ended before `pg_locks` is read: it ended before the
 *   caller's next statement, whose snapshot therefore sees its events if it committed.
 * One scan of `pg_locks` (it copies the whole lock table), grouped by transaction.
 * Transaction ids in `pg_locks` are 32-bit; they are widened with the epoch of `xmax` (every
 * running id lies within 2^31 below it).
 */
export function horizonQuery(eventsTable: string, streamsTable: string): string {
  return `
    WITH snapshot AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
         locks AS MATERIALIZED (SELECT * FROM pg_locks),
         appending AS (
           SELECT max(transactionid::text::bigint) FILTER (WHERE locktype = 'transactionid') AS xid
             FROM locks
            GROUP BY virtualtransaction
           HAVING bool_or(locktype = 'relation'
                          AND mode NOT IN ('AccessShareLock', 'RowShareLock')
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND relation IN ('${eventsTable}'::regclass, '${streamsTable}'::regclass))),
         widened AS (
           SELECT CASE WHEN (s.xmax >> 32 << 32) + a.xid >= s.xmax THEN (s.xmax >> 32 << 32) + a.xid - 4294967296
                       ELSE (s.xmax >> 32 << 32) + a.xid END AS xid
             FROM appending a, snapshot s
            WHERE a.xid IS NOT NULL)
    SELECT (least((SELECT xmax FROM snapshot), (SELECT min(xid) FROM widened)) * ${POSITIONS_PER_TRANSACTION})::text AS below`;
}
