import type { Pool } from 'pg';
import { createPool, DEFAULT_POOL_BOUNDS, type PoolBounds } from '@coffer/platform';
import type { StoredSnapshot } from '../domain/snapshot';

/** Ledger snapshots in PostgreSQL (whatever the event store): the newest one per realm. */
export class SnapshotStore {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;

  constructor(databaseUrl: string, bounds: PoolBounds = DEFAULT_POOL_BOUNDS) {
    this.pool = createPool({ connectionString: databaseUrl, max: 2 }, bounds);
  }

  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      await this.pool.query('CREATE SCHEMA IF NOT EXISTS coffer_ledger').catch(ignoreRace);
      await this.pool
        .query(
          `CREATE TABLE IF NOT EXISTS coffer_ledger.snapshots (
             realm text PRIMARY KEY, revision bigint NOT NULL, taken_at timestamptz NOT NULL, state text NOT NULL)`,
        )
        .catch(ignoreRace);
    })().catch((error: unknown) => {
      // Tried again by the next caller: a database that was away at the first try comes back.
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** The newest snapshot as stored: one of another ledger version is the caller's to refuse. */
  async load(realm: string): Promise<StoredSnapshot | undefined> {
    await this.ensureTable();
    const { rows } = await this.pool.query('SELECT state FROM coffer_ledger.snapshots WHERE realm = $1', [realm]);
    return rows.length ? (JSON.parse(rows[0].state) as StoredSnapshot) : undefined;
  }

  /** The revision of the newest snapshot, without loading it. */
  async newestRevision(realm: string): Promise<bigint | undefined> {
    await this.ensureTable();
    const { rows } = await this.pool.query('SELECT revision::text FROM coffer_ledger.snapshots WHERE realm = $1', [realm]);
    return rows.length ? BigInt(rows[0].revision) : undefined;
  }

  /** Saves a serialised snapshot unless a newer one is already there. */
  async save(realm: string, revision: bigint, json: string): Promise<void> {
    await this.ensureTable();
    await this.pool.query(
      `INSERT INTO coffer_ledger.snapshots (realm, revision, taken_at, state) VALUES ($1, $2, now(), $3)
       ON CONFLICT (realm) DO UPDATE SET revision = excluded.revision, taken_at = excluded.taken_at, state = excluded.state
       WHERE coffer_ledger.snapshots.revision < excluded.revision`,
      [realm, revision.toString(), json],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Two ledgers starting together may both run the DDL: the loser's "already exists" is fine. */
function ignoreRace(error: { code?: string }): void {
  if (error.code !== '23505' && error.code !== '42P06' && error.code !== '42P07') throw error;
}
