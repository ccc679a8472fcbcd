/**
 * Idempotency keys across streams. A command's own stream remembers it (command id and request
 * hash in its events' metadata), which makes a retry to the same stream exact under optimistic
 * concurrency. But one key reused with another body usually names another stream (another
 * user, another achievement), where that memory cannot be seen. So the first request to use a
 * command id binds it to its request hash here, before it is decided; a later request with the
 * same id and another hash is refused (IDEMPOTENCY_KEY_REUSED) whatever stream it targets.
 *
 * A refused command keeps its binding, as in the ledger: its refusal is recorded on its stream
 * (AchievementCommandRefused), so the same request gets it again and another request with the
 * key is a reuse. Only a refusal that is not recorded (of the caller, see recordsRefusal)
 * releases it, and a 503 keeps it for the retry. A binding is kept for the
 * idempotency window (COFFER_IDEMPOTENCY_RETENTION_HOURS) and then pruned, as the streams forget
 * the command then too: the key may be used again, for any request.
 */
import type { Pool } from 'pg';
import { ACHIEVEMENTS_SCHEMA } from './achievements-schema';

export type Claim = 'new' | 'same' | 'reused';

const TABLE = `${ACHIEVEMENTS_SCHEMA}.commands`;

/** Bindings deleted per statement when pruning: each statement stays short, whatever the backlog. */
export const CLAIMS_PRUNED_PER_STATEMENT = 10_000;

export class CommandClaims {
  constructor(private readonly pool: Pool) {}

  /** 'new': this request bound the id; 'same': bound before to this request; 'reused': to another. */
  async claim(commandId: string, requestHash: string): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.pool.query(
        `INSERT INTO ${TABLE} (command_id, request_hash) VALUES ($1, $2) ON CONFLICT (command_id) DO NOTHING RETURNING 1`,
        [commandId, requestHash],
      );
      if (inserted.rowCount) return 'new';
      const { rows } = await this.pool.query<{ request_hash: string }>(`SELECT request_hash FROM ${TABLE} WHERE command_id = $1`, [
        commandId,
      ]);
      if (rows.length) return rows[0].request_hash === requestHash ? 'same' : 'reused';
      // Released between the two statements: claim again.
    }
    throw new Error(`could not claim command ${commandId}`);
  }

  async release(commandId: string, requestHash: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${TABLE} WHERE command_id = $1 AND request_hash = $2`, [commandId, requestHash]);
  }

  /** Deletes the bindings older than the window (by the database's clock); answers how many. */
  async prune(retentionMs: number): Promise<number> {
    let pruned = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM ${TABLE} WHERE command_id IN (
           SELECT command_id FROM ${TABLE} WHERE claimed_at <= now() - make_interval(secs => $1::double precision / 1000) LIMIT $2)`,
        [retentionMs, CLAIMS_PRUNED_PER_STATEMENT],
      );
      pruned += rowCount ?? 0;
      if ((rowCount ?? 0) < CLAIMS_PRUNED_PER_STATEMENT) return pruned;
    }
  }

  /** Binds again (a no-op when bound): a retry that succeeded after the first attempt released it. */
  async confirm(commandId: string, requestHash: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${TABLE} (command_id, request_hash) VALUES ($1, $2) ON CONFLICT (command_id) DO NOTHING`,
      [commandId, requestHash],
    );
  }
}
