/**
 * Achievement progress: one row per (app_id, key, user_id) that ever made progress, with its
 * unlock and the transaction that paid its reward. Serves a user's badges across every app
 * (GET /users/:user_id/achievements, with the definitions of achievements.ts) and an
 * achievement's statistics (GET /achievements/:key/stats).
 *
 * Folded from ProgressRecorded, AchievementUnlocked and RewardGranted into one change per row,
 * written with one upsert whatever the batch size.
 */
import type { ClientBase } from 'pg';
import type { AchievementEvent } from '@coffer/contracts';
import type { AchievementStatsView, UserAchievementView } from '@coffer/contracts/http';
import type { ReplayedEvent } from '@coffer/event-store';
import { ACHIEVEMENTS_TABLE } from './achievements';
import { page, READ_SCHEMA, rowKey, type Page, type Queryable, type ReadModel } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const ACHIEVEMENT_PROGRESS_TABLE = 'achievement_progress';

export function achievementProgressDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${ACHIEVEMENT_PROGRESS_TABLE} (
       realm text NOT NULL,
       app_id text NOT NULL,
       key text NOT NULL,
       user_id text NOT NULL,
       progress integer NOT NULL,
       unlocked_at timestamptz,
       reward_transaction_id bigint,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (app_id, key, user_id))`,
  ];
}

/** A user's badges across every app of the realm: the user's rows, whatever the app. */
export function achievementProgressReaderIndexDdl(schema: string): string[] {
  return [`CREATE INDEX IF NOT EXISTS achievement_progress_user ON ${schema}.${ACHIEVEMENT_PROGRESS_TABLE} (realm, user_id)`];
}

/**
 * A row as written, and what a batch says about it. Every field only ever moves one way
 * (progress up, unlock and reward set once, time forward), so merging with the stored row is
 * GREATEST/COALESCE and the order batches arrive in cannot matter.
 */
export interface AchievementProgressRow {
  app_id: string;
  key: string;
  user_id: string;
  progress: number;
  unlocked_at: string | null;
  reward_transaction_id: number | null;
  updated_at: string;
}

export type AchievementProgressBatch = Map<string, AchievementProgressRow>;

export function foldAchievementProgress(events: readonly ReplayedEvent[]): AchievementProgressBatch {
  const batch: AchievementProgressBatch = new Map();
  const rowOf = (app_id: string, key: string, user_id: string, at: string): AchievementProgressRow => {
    const id = rowKey(app_id, key, user_id);
    let row = batch.get(id);
    if (!row) {
      row = { app_id, key, user_id, progress: 0, unlocked_at: null, reward_transaction_id: null, updated_at: at };
      batch.set(id, row);
    }
    if (at > row.updated_at) row.updated_at = at;
    return row;
  };
  for (const recorded of events) {
    const event = recorded as unknown as AchievementEvent; // read as the union its type names
    switch (event.type) {
      case 'ProgressRecorded': {
        const { app_id, key, user_id, progress, recorded_at } = event.data;
        const row = rowOf(app_id, key, user_id, recorded_at);
        row.progress = Math.max(row.progress, progress);
        break;
      }
      case 'AchievementUnlocked': {
        const { app_id, key, user_id, unlocked_at } = event.data;
        rowOf(app_id, key, user_id, unlocked_at).unlocked_at = unlocked_at;
        break;
      }
      case 'RewardGranted': {
        const { app_id, key, user_id, transaction_id, granted_at } = event.data;
        rowOf(app_id, key, user_id, granted_at).reward_transaction_id = transaction_id;
        break;
      }
      default:
        break; // not about a user's progress
    }
  }
  return batch;
}

export async function writeAchievementProgress(client: ClientBase, schema: string, batch: AchievementProgressBatch, realm: string): Promise<void> {
  const table = `${schema}.${ACHIEVEMENT_PROGRESS_TABLE}`;
  await writeRealmRows(
    client,
    `INSERT INTO ${table} AS p
       SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)
       ON CONFLICT (app_id, key, user_id) DO UPDATE SET
         progress = GREATEST(p.progress, excluded.progress),
         unlocked_at = coalesce(p.unlocked_at, excluded.unlocked_at),
         reward_transaction_id = coalesce(p.reward_transaction_id, excluded.reward_transaction_id),
         updated_at = GREATEST(p.updated_at, excluded.updated_at)`,
    [...batch.values()],
    realm,
  );
}

export const achievementProgress: ReadModel = {
  tables: { [ACHIEVEMENT_PROGRESS_TABLE]: ['app_id', 'key', 'user_id'] },
  ddl: achievementProgressDdl,
  readerIndexDdl: achievementProgressReaderIndexDdl,
  fold(events, context) {
    const batch = foldAchievementProgress(events);
    return (client, schema) => writeAchievementProgress(client, schema, batch, context.realm);
  },
};

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

/**
 * A page of the achievements of every app of `realm` with the user's progress, by app and key,
 * after the cursor `<app_id>/<key>`; a hidden one only once the user unlocked it.
 */
export async function userAchievements(db: Queryable, realm: string, userId: string, limit: number, after?: string): Promise<Page<UserAchievementView>> {
  const [afterApp, afterKey] = after === undefined ? ['', ''] : after.split('/');
  const { rows } = await db.query(
    `SELECT a.app_id, a.key, a.name, a.description, a.icon_url, coalesce(p.progress, 0) AS progress, a.goal, p.unlocked_at
       FROM ${READ_SCHEMA}.${ACHIEVEMENTS_TABLE} a
       LEFT JOIN ${READ_SCHEMA}.${ACHIEVEMENT_PROGRESS_TABLE} p ON p.app_id = a.app_id AND p.key = a.key AND p.user_id = $1
      WHERE a.realm = $5 AND (NOT a.hidden OR p.unlocked_at IS NOT NULL)
        AND (a.app_id COLLATE "C" > $2 OR (a.app_id = $2 AND a.key COLLATE "C" > $3))
      ORDER BY a.app_id COLLATE "C", a.key COLLATE "C" LIMIT $4`,
    [userId, afterApp, afterKey, limit + 1, realm],
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

/** An achievement's statistics; null when the read models do not know the achievement (yet). */
export async function achievementStats(db: Queryable, appId: string, key: string): Promise<AchievementStatsView | null> {
  const { rows } = await db.query(
    `SELECT EXISTS (SELECT 1 FROM ${READ_SCHEMA}.${ACHIEVEMENTS_TABLE} WHERE app_id = $1 AND key = $2) AS known,
            count(*) FILTER (WHERE progress > 0) AS users_with_progress,
            count(unlocked_at) AS unlocked_count
       FROM ${READ_SCHEMA}.${ACHIEVEMENT_PROGRESS_TABLE} WHERE app_id = $1 AND key = $2`,
    [appId, key],
  );
  const row = rows[0];
  if (!row.known) return null;
  return statsView(key, Number(row.users_with_progress), Number(row.unlocked_count));
}

export function statsView(key: string, usersWithProgress: number, unlockedCount: number): AchievementStatsView {
  const rate = usersWithProgress === 0 ? 0 : Math.round((unlockedCount / usersWithProgress) * 10000) / 10000;
  return { key, users_with_progress: usersWithProgress, unlocked_count: unlockedCount, unlock_rate: rate };
}
