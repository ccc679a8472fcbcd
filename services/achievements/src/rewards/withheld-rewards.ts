/**
 * The reward reactor's to-do list of rewards the ledger refused (table
 * coffer_achievements.withheld_rewards). RewardWithheld in the reward stream is the record; a
 * row here only says when to try again, so each write is idempotent and a lost one is put back
 * by the reactor from the stream (it re-reads every unlock after its checkpoint).
 */
import type { Pool } from 'pg';
import type { AchievementUnlocked } from '@coffer/contracts';
import { ACHIEVEMENTS_SCHEMA } from '../writer/achievements-schema';

const TABLE = `${ACHIEVEMENTS_SCHEMA}.withheld_rewards`;

/** An unlock whose reward is being paid, with what its events carry along. */
export interface RewardToPay {
  unlock: AchievementUnlocked;
  /** The unlock's global position: the order in which held rewards are tried again. */
  unlock_position: bigint;
  correlation_id: string;
  /** The AchievementUnlocked event's id (the reward events' causation). */
  causation_id: string;
}

export interface HeldReward extends RewardToPay {
  attempt: number;
  retry_at: Date;
}

export class WithheldRewards {
  constructor(private readonly pool: Pool) {}

  /** Holds `reward` for `attempt` from `retryAt` (a repeat of the same hold changes nothing). */
  async hold(reward: RewardToPay, attempt: number, retryAt: Date | string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${TABLE} (unlock_id, unlock_position, unlock, correlation_id, causation_id, attempt, retry_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (unlock_id) DO UPDATE SET attempt = excluded.attempt, retry_at = excluded.retry_at
         WHERE ${TABLE}.attempt <= excluded.attempt`,
      [reward.unlock.unlock_id, reward.unlock_position.toString(), JSON.stringify(reward.unlock), reward.correlation_id, reward.causation_id, attempt, retryAt],
    );
  }

  /** Leaves the held reward for a later pass without an attempt (its app was refused earlier in this one). */
  async postpone(unlockId: string, retryAt: Date): Promise<void> {
    await this.pool.query(`UPDATE ${TABLE} SET retry_at = $2 WHERE unlock_id = $1`, [unlockId, retryAt]);
  }

  /** The reward was granted: nothing left to do. */
  async release(unlockId: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${TABLE} WHERE unlock_id = $1`, [unlockId]);
  }

  /** Up to `limit` held rewards due at `now`, oldest unlock first. */
  async due(now: Date, limit: number): Promise<HeldReward[]> {
    const { rows } = await this.pool.query<{
      unlock: AchievementUnlocked;
      unlock_position: string;
      correlation_id: string;
      causation_id: string;
      attempt: number;
      retry_at: Date;
    }>(
      `SELECT unlock, unlock_position, correlation_id, causation_id, attempt, retry_at FROM ${TABLE}
        WHERE retry_at <= $1 ORDER BY unlock_position LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => ({ ...row, unlock_position: BigInt(row.unlock_position) }));
  }

  /** How many rewards are held (a gauge for operators, and tests). */
  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${TABLE}`);
    return Number(rows[0].count);
  }
}
