/**
 * The achievements of an app, counted across streams. Each definition is a stream of its own, so
 * no stream can count an app's definitions: like CommandClaims, the count lives in a table of
 * its own. A key takes its place before its registration is decided, under a lock per app, so
 * concurrent registrations on any instance never take more than MAX_ACHIEVEMENTS_PER_APP places.
 *
 * A place is never given back: a registration that failed in the store is retried by its client
 * (it keeps its place), and a definition is never deleted.
 */
import type { Pool } from 'pg';
import { ACHIEVEMENTS_SCHEMA } from './achievements-schema';

/** The most achievements one app may define: each is listed, and counted in every user's badges. */
export const MAX_ACHIEVEMENTS_PER_APP = 1_000;

const TABLE = `${ACHIEVEMENTS_SCHEMA}.definitions`;

export class AchievementQuota {
  constructor(private readonly pool: Pool) {}

  /** True when the key holds a place (it had one, or took one now); false when the app has no place left. */
  async reserve(appId: string, key: string): Promise<boolean> {
    // Apps register their achievements at every start: a key that holds its place needs no lock.
    if (await this.holds(appId, key)) return true;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${TABLE}:${appId}`]);
      const taken = await client.query(
        `INSERT INTO ${TABLE} (app_id, key)
           SELECT $1, $2 WHERE (SELECT count(*) FROM ${TABLE} WHERE app_id = $1) < $3
         ON CONFLICT (app_id, key) DO NOTHING RETURNING 1`,
        [appId, key, MAX_ACHIEVEMENTS_PER_APP],
      );
      await client.query('COMMIT');
      return Boolean(taken.rowCount) || (await this.holds(appId, key));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Gives a place to a definition registered before places were kept, beyond the quota if need be. */
  async adopt(appId: string, key: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${TABLE} (app_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [appId, key]);
  }

  private async holds(appId: string, key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${TABLE} WHERE app_id = $1 AND key = $2`, [appId, key]);
    return Boolean(rowCount);
  }
}
