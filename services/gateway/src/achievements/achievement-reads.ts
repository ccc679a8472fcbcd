import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { AchievementRank, AchievementReply } from '@coffer/contracts';
import type { AchievementStatsView, UserAchievementView } from '@coffer/contracts/http';
import { achievementLeaderboard, achievementStats, listAchievements, userAchievements, type Page, type Queryable } from '@coffer/read-models';
import { readModelDb } from '../reads/read-model-db';
import { DB_POOL } from '../tokens';

/**
 * The gateway's door to the achievements read models (@coffer/read-models: achievements.ts and
 * achievement-progress.ts hold the queries, kept by the projector). Eventually consistent: a
 * write shows here once the projector has reached it, usually within milliseconds.
 */
@Injectable()
export class AchievementReads {
  private readonly db: Queryable;

  constructor(@Inject(DB_POOL) pool: Pool) {
    // Before the projector's first start (or before a rebuild added these tables) the views are missing: not ready.
    this.db = readModelDb(pool, 'the achievements read models');
  }

  /** A page of the app's achievements, hidden ones too (they are its own), by key, after the key `after`. */
  list(appId: string, limit: number, after?: string): Promise<Page<AchievementReply>> {
    return listAchievements(this.db, appId, limit, after);
  }

  /** A page of the achievements of every app of `realm` with the user's progress, by app and key, after the cursor `<app_id>/<key>`. */
  ofUser(realm: string, userId: string, limit: number, after?: string): Promise<Page<UserAchievementView>> {
    return userAchievements(this.db, realm, userId, limit, after);
  }

  /** Null when the read model does not know the achievement (yet). */
  stats(appId: string, key: string): Promise<AchievementStatsView | null> {
    return achievementStats(this.db, appId, key);
  }

  /** The users of `realm` with the most unlocks across its apps, ranked (ties share a rank). */
  leaderboard(realm: string, limit: number): Promise<AchievementRank[]> {
    return achievementLeaderboard(this.db, realm, limit);
  }
}
