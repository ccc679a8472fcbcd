/**
 * One consumer of an outbox at a time per database: two would both attempt its head. The lock is
 * a PostgreSQL session's, so it is let go the moment its holder's connection ends (a crash, a
 * kill), and a standby notifier takes it at its next look.
 */
import type { Pool, PoolClient } from 'pg';

export class AdvisoryLeader {
  /** The connection holding the lock, while this instance leads. */
  private leader: PoolClient | undefined;

  /** `lock`: an SQL expression naming the lock, e.g. `hashtext('coffer_notifier.deliverer')`. */
  constructor(
    private readonly pool: Pool,
    private readonly lock: string,
  ) {}

  /** Whether this instance holds the lock, taking it when free. */
  async lead(): Promise<boolean> {
    if (this.leader) return true;
    const client = await this.pool.connect();
    let held = false;
    try {
      held = (await client.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(${this.lock}) AS held`)).rows[0].held;
    } finally {
      if (!held) client.release();
    }
    if (!held) return false;
    // The lock goes with the connection: once it fails, this instance must take the lock again before leading.
    client.on('error', () => {
      if (this.leader !== client) return; // already let go (release)
      this.leader = undefined;
      client.release(true);
    });
    this.leader = client;
    return true;
  }

  async release(): Promise<void> {
    const leader = this.leader;
    this.leader = undefined;
    if (!leader) return;
    await leader.query(`SELECT pg_advisory_unlock(${this.lock})`).catch(() => undefined);
    leader.release();
  }
}
