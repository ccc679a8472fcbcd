import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { AchievementReply } from '@coffer/contracts';
import type { AchievementStatsView, UserAchievementView } from '@coffer/contracts/http';
import { ApiError } from '../http/api-error';
import { DB_POOL } from '../tokens';

/**
 * Queries on the achievements read models (views `coffer_read.achievements` and
 * `coffer_read.achievement_progress`, kept by the projector). Eventually consistent: a write
 * shows here once the projector has reached it, usually within milliseconds.
 */
@Injectable()
export class AchievementReads {
  constructor(@Inject(DB_POOL) private readonly pool: Pool) {}

  /** Before the projector's first start (or before a rebuild added these tables) the views are missing: not ready. */
  private async query(sql: string, params: unknown[]) {
    try {
      return await this.pool.query(sql, params);
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') {
        throw new ApiError('UNAVAILABLE', 'the achievements read models are not ready yet (is the projector running?)');
      }
      throw error;
    }
  }

  /** A page of the app's achievements, hidden ones too (they are its own), by key, after the key `after`. */
  async list(appId: string, limit: number, after?: string): Promise<Page<AchievementReply>> {
    const { rows } = await this.query(
      `SELECT app_id, key, name, description, icon_url, goal, hidden, reward_amount::text AS reward_amount,
              reward_currency, created_at, updated_at
         FROM coffer_read.achievements WHERE app_id = $1 AND key COLLATE "C" > $2
        ORDER BY key COLLATE "C" LIMIT $3`,
      [appId, after ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.key, (row) => ({
      app_id: row.app_id,
      key: row.key,
      name: row.name,
      description: row.description,
      icon_url: row.icon_url,
      goal: Number(row.goal),
      hidden: row.hidden,
      reward: row.reward_amount === null ? null : { amount: row.reward_amount, currency: row.reward_currency },
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    }));
  }

  /**
   * A page of every app's achievements with the user's progress, by app and key, after the
   * cursor `<app_id>/<key>`; a hidden one only once the user unlocked it.
   */
  async ofUser(userId: string, limit: number, after?: string): Promise<Page<UserAchievementView>> {
    const [afterApp, afterKey] = after === undefined ? ['', ''] : after.split('/');
    const { rows } = await this.query(
      `SELECT a.app_id, a.key, a.name, a.description, a.icon_url, coalesce(p.progress, 0) AS progress, a.goal, p.unlocked_at
         FROM coffer_read.achievements a
         LEFT JOIN coffer_read.achievement_progress p ON p.app_id = a.app_id AND p.key = a.key AND p.user_id = $1
        WHERE (NOT a.hidden OR p.unlocked_at IS NOT NULL)
          AND (a.app_id COLLATE "C" > $2 OR (a.app_id = $2 AND a.key COLLATE "C" > $3))
        ORDER BY a.app_id COLLATE "C", a.key COLLATE "C" LIMIT $4`,
      [userId, afterApp, afterKey, limit + 1],
    );
    return page(rows, limit, (row) => `${row.app_id}/${row.key}`, (row) => ({
      app_id: row.app_id,
      key: row.key,
      name: row.name,
      description: row.description,
      icon_url: row.icon_url,
      progress: Number(row.progress),
      goal: Number(row.goal),
      unlocked: row.unlocked_at !== null,
      unlocked_at: row.unlocked_at ? row.unlocked_at.toISOString() : null,
    }));
  }

  /** Null when the read model does not know the achievement (yet). */
  async stats(appId: string, key: string): Promise<AchievementStatsView | null> {
    const { rows } = await this.query(
      `SELECT EXISTS (SELECT 1 FROM coffer_read.achievements WHERE app_id = $1 AND key = $2) AS known,
              count(*) FILTER (WHERE progress > 0) AS users_with_progress,
              count(unlocked_at) AS unlocked_count
         FROM coffer_read.achievement_progress WHERE app_id = $1 AND key = $2`,
      [appId, key],
    );
    const row = rows[0];
    if (!row.known) return null;
    return statsView(key, Number(row.users_with_progress), Number(row.unlocked_count));
  }
}

export interface Page<T> {
  data: T[];
  /** The cursor of the last item when more follow, else null. */
  next_cursor: string | null;
}

/** `rows` were read with one row more than the page holds: that one says whether another page follows. */
function page<T>(rows: Array<Record<string, any>>, limit: number, cursorOf: (row: Record<string, any>) => string, view: (row: Record<string, any>) => T): Page<T> {
  const shown = rows.slice(0, limit);
  return { data: shown.map(view), next_cursor: rows.length > limit ? cursorOf(shown[shown.length - 1]) : null };
}

export function statsView(key: string, usersWithProgress: number, unlockedCount: number): AchievementStatsView {
  const rate = usersWithProgress === 0 ? 0 : Math.round((unlockedCount / usersWithProgress) * 10000) / 10000;
  return { key, users_with_progress: usersWithProgress, unlocked_count: unlockedCount, unlock_rate: rate };
}
