import { types, type Pool, type QueryConfig } from 'pg';
import { createPool, DEFAULT_POOL_BOUNDS, type PoolBounds } from '@coffer/platform';
import { createUnderLock } from '@coffer/event-store';
import { LEDGER_DDL_LOCK } from './ledger-schema';

/** A snapshot as stored: its revision and its lines of JSON (see domain/snapshot.ts), possibly of another ledger version. */
export interface StoredSnapshot {
  revision: bigint;
  lines: string[];
}

/**
 * Ledger snapshots in PostgreSQL (whatever the event store): the newest one per realm, as lines
 * of JSON in one text value. It is written and read as bytes, never as one string: a snapshot
 * may be larger than a JavaScript string can be, each of its lines is not.
 */
export class SnapshotStore {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;

  constructor(databaseUrl: string, bounds: PoolBounds = DEFAULT_POOL_BOUNDS) {
    this.pool = createPool({ connectionString: databaseUrl, max: 2 }, bounds);
  }

  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      await createUnderLock(this.pool, LEDGER_DDL_LOCK, [
        'CREATE SCHEMA IF NOT EXISTS coffer_ledger',
        `CREATE TABLE IF NOT EXISTS coffer_ledger.snapshots (
             realm text PRIMARY KEY, revision bigint NOT NULL, taken_at timestamptz NOT NULL, state text NOT NULL)`,
      ]);
      await this.compressWithLz4();
    })().catch((error: unknown) => {
      // Tried again by the next caller: a database that was away at the first try comes back.
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /**
   * Snapshots are large (megabytes of JSON lines) and rewritten every few thousand events:
   * PostgreSQL's default compression, pglz, spent about four times as long compressing one as
   * lz4 does (16 MB: 410 ms against 100 ms), CPU the whole database shares under load. lz4 is
   * PostgreSQL 14's and needs a server built with it; without, the column keeps pglz and works
   * the same. Changed only when it is not lz4 yet, since ALTER TABLE takes the table's lock.
   */
  private async compressWithLz4(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ compression: string }>(
        `SELECT attcompression::text AS compression FROM pg_attribute
          WHERE attrelid = 'coffer_ledger.snapshots'::regclass AND attname = 'state'`,
      );
      if (rows[0]?.compression !== 'l') await this.pool.query('ALTER TABLE coffer_ledger.snapshots ALTER COLUMN state SET COMPRESSION lz4');
    } catch {
      // PostgreSQL before 14 (no attcompression) or built without lz4: pglz it stays.
    }
  }

  /** The newest snapshot as stored: one of another ledger version is the caller's to refuse. */
  async load(realm: string): Promise<StoredSnapshot | undefined> {
    await this.ensureTable();
    // In binary, the bytea comes as the bytes themselves (in text, as a hex string twice as long).
    const query = {
      text: `SELECT revision::text AS revision, convert_to(state, 'UTF8') AS state FROM coffer_ledger.snapshots WHERE realm = $1`,
      values: [realm],
      binary: true,
      types: RAW_BYTEA,
    } as QueryConfig;
    const { rows } = await this.pool.query<{ revision: string; state: Buffer }>(query);
    return rows.length ? { revision: BigInt(rows[0].revision), lines: linesOf(rows[0].state) } : undefined;
  }

  /** The revision of the newest snapshot, without loading it. */
  async newestRevision(realm: string): Promise<bigint | undefined> {
    await this.ensureTable();
    const { rows } = await this.pool.query('SELECT revision::text FROM coffer_ledger.snapshots WHERE realm = $1', [realm]);
    return rows.length ? BigInt(rows[0].revision) : undefined;
  }

  /** Saves a serialised snapshot (its lines, each ending with a newline) unless a newer one is already there. */
  async save(realm: string, revision: bigint, content: Buffer | string): Promise<void> {
    await this.ensureTable();
    await this.pool.query(
      `INSERT INTO coffer_ledger.snapshots (realm, revision, taken_at, state) VALUES ($1, $2, now(), $3)
       ON CONFLICT (realm) DO UPDATE SET revision = excluded.revision, taken_at = excluded.taken_at, state = excluded.state
       WHERE coffer_ledger.snapshots.revision < excluded.revision`,
      [realm, revision.toString(), content],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}


const BYTEA_OID = 17;
/** Type parsers that leave a binary bytea as the Buffer it arrives in (pg's own would make it a string). */
const RAW_BYTEA = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === BYTEA_OID && format === 'binary' ? (value: Buffer) => value : types.getTypeParser(oid, format as 'text'),
};

function linesOf(content: Buffer): string[] {
  const lines: string[] = [];
  for (let start = 0; start < content.length; ) {
    const end = content.indexOf(0x0a, start);
    const stop = end === -1 ? content.length : end;
    if (stop > start) lines.push(content.toString('utf8', start, stop));
    start = stop + 1;
  }
  return lines;
}
