/**
 * Unlock counts (table `unlock_counts`): how many achievements each user has unlocked, across
 * every app. Serves the achievements leaderboard (GET /leaderboards/achievements), which would
 * otherwise count every unlock of the community on each request.
 *
 * Folded from AchievementUnlocked (once per app, key and user: the achievements writer unlocks
 * once) into one increment per user, written with one upsert whatever the batch size; a rebuild
 * counts the whole store in memory and writes once at the end.
 */
import type { ClientBase } from 'pg';
import type { AchievementEvent, AchievementRank } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { ACHIEVEMENT_PROGRESS_TABLE } from './achievement-progress';
import { DEFAULT_REALM } from '@coffer/contracts';
import { READ_SCHEMA, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const UNLOCK_COUNTS_TABLE = 'unlock_counts';

export function unlockCountsDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${UNLOCK_COUNTS_TABLE} (
       realm text NOT NULL,
       user_id text NOT NULL,
       unlocked integer NOT NULL,
       PRIMARY KEY (realm, user_id))`,
  ];
}

/** The leaderboard: the top of the ranking in index order, ties by user id. */
export function unlockCountsReaderIndexDdl(schema: string): string[] {
  return [`CREATE INDEX IF NOT EXISTS unlock_counts_rank ON ${schema}.${UNLOCK_COUNTS_TABLE} (realm, unlocked DESC, user_id)`];
}

/** Unlocks per user in a batch (a new map per live batch; one kept across a rebuild). */
export function foldUnlockCounts(events: readonly ReplayedEvent[], counts = new Map<string, number>()): Map<string, number> {
  for (const recorded of events) {
    const event = recorded as unknown as AchievementEvent; // read as the union its type names
    if (event.type === 'AchievementUnlocked') counts.set(event.data.user_id, (counts.get(event.data.user_id) ?? 0) + 1);
  }
  return counts;
}

export async function writeUnlockCounts(client: ClientBase, schema: string, counts: Map<string, number>, realm: string): Promise<void> {
  const table = `${schema}.${UNLOCK_COUNTS_TABLE}`;
  await writeRealmRows(
    client,
    `INSERT INTO ${table} AS c SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)
       ON CONFLICT (realm, user_id) DO UPDATE SET unlocked = c.unlocked + excluded.unlocked`,
    [...counts].map(([user_id, unlocked]) => ({ user_id, unlocked })),
    realm,
  );
}

function replayUnlockCounts(realm: string): Replaying {
  const counts = new Map<string, number>();
  return {
    fold(events) {
      foldUnlockCounts(events, counts);
      return async () => undefined;
    },
    finish: (client, schema) => writeUnlockCounts(client, schema, counts, realm),
  };
}

/** Each user's count equals the unlocked rows of achievement_progress: two read models folded apart, held to each other. */
export async function checkUnlockCounts(client: ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT realm, user_id, c.unlocked, p.unlocked AS progress_unlocked
       FROM ${schema}.${UNLOCK_COUNTS_TABLE} c
       FULL JOIN (SELECT realm, user_id, count(*)::int AS unlocked FROM ${schema}.${ACHIEVEMENT_PROGRESS_TABLE}
                   WHERE unlocked_at IS NOT NULL GROUP BY realm, user_id) p USING (realm, user_id)
      WHERE c.unlocked IS DISTINCT FROM p.unlocked
      ORDER BY realm, user_id LIMIT 10`,
  );
  return rows.map((row) => `${row.realm === DEFAULT_REALM ? '' : `realm ${row.realm}: `}user ${row.user_id}: ${row.unlocked ?? 0} unlocks counted, ${row.progress_unlocked ?? 0} unlocked in achievement_progress`);
}

export const unlockCounts: ReadModel = {
  tables: { [UNLOCK_COUNTS_TABLE]: ['realm', 'user_id'] },
  ddl: unlockCountsDdl,
  readerIndexDdl: unlockCountsReaderIndexDdl,
  fold(events, context) {
    const counts = foldUnlockCounts(events);
    return (client, schema) => writeUnlockCounts(client, schema, counts, context.realm);
  },
  replay: replayUnlockCounts,
  check: checkUnlockCounts,
};

// ---- queries (the gateway's; eventually consistent: an unlock shows once the projector has reached it)

/**
 * The `limit` users of `realm` with the most unlocks, ranked 1, 1, 3 (ties share a rank), ties by user id:
 * the top off the index, ranked alone (as balanceLeaderboard: whoever is ahead is in it too).
 */
export async function achievementLeaderboard(db: Queryable, realm: string, limit: number): Promise<AchievementRank[]> {
  const { rows } = await db.query(
    `SELECT rank() OVER (ORDER BY unlocked DESC) AS rank, user_id, unlocked
       FROM (SELECT user_id, unlocked FROM ${READ_SCHEMA}.${UNLOCK_COUNTS_TABLE} WHERE realm = $2 AND unlocked > 0
              ORDER BY unlocked DESC, user_id LIMIT $1) top
      ORDER BY unlocked DESC, user_id`,
    [limit, realm],
  );
  return rows.map((row) => ({ rank: Number(row.rank), user_id: row.user_id, value: Number(row.unlocked) }));
}
