/**
 * Creating tables when a service starts. Services (and several instances of one) start
 * together, and two concurrent `CREATE … IF NOT EXISTS` of the same object can both pass the
 * existence check: the loser fails with "already exists" (42P06, 42P07) or a unique violation on
 * the catalogue (23505). So every creator takes a transaction-scoped advisory lock named for what
 * it creates, and whoever loses a race anyway (a creator that took another lock, or none) runs
 * its statements again, finding everything there.
 */
import type { ClientBase, Pool } from 'pg';

/** What a database error says when another session created the same object first. */
const RACE_LOST = new Set(['23505', '42P04', '42P06', '42P07', '42710']);

/** Whether `error` means another session created the object first ("already exists"). */
export function isCreationRaceLost(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RACE_LOST.has((error as { code?: string }).code ?? '');
}

/**
 * Runs `work` in one transaction holding the advisory lock `lock`, on a client the caller has
 * connected (and ends). Rolls back and rethrows when it fails; a lost creation race is tried
 * once more (the second run finds the objects there).
 */
export async function underSchemaLock<T>(client: ClientBase, lock: string, work: (client: ClientBase) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (attempt === 1 && isCreationRaceLost(error)) continue;
      throw error;
    }
  }
}

/** Runs `statements` (DDL written `IF NOT EXISTS`) in order under the advisory lock `lock`, on a client of `pool`. */
export async function createUnderLock(pool: Pool, lock: string, statements: readonly string[]): Promise<void> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await underSchemaLock(client, lock, async (locked) => {
      for (const statement of statements) await locked.query(statement);
    });
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A client whose transaction failed may have lost its connection: the pool discards it.
    client.release(failure);
  }
}
