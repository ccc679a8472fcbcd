/**
 * Projects a batch of achievements events into one read-model generation, set-based like the
 * ledger tables (batch-projection.ts): the batch is folded in memory into one row (or one
 * change) per achievement and per (achievement, user), then written with three statements
 * whatever the batch size. Runs inside the caller's transaction, so the rows move with the
 * checkpoint.
 *
 *   achievements          one row per (app_id, key): the definition as last updated
 *   achievement_progress  one row per (app_id, key, user_id) that ever made progress
 */
import type { PoolClient } from 'pg';
import type { AchievementChanges, AchievementEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { folding } from '../quarantine';

interface AchievementRow {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward_amount: string | null;
  reward_currency: string | null;
  created_at: string;
  updated_at: string;
}

/** Changes to an achievement registered in an earlier batch: only the fields named are set. */
interface AchievementChange {
  app_id: string;
  key: string;
  changes: AchievementChanges;
  updated_at: string;
}

/**
 * What a batch says about one user's progress. Every field only ever moves one way (progress up,
 * unlock and reward set once, time forward), so merging with the stored row is GREATEST/COALESCE
 * and the order batches arrive in cannot matter.
 */
interface ProgressDelta {
  app_id: string;
  key: string;
  user_id: string;
  progress: number;
  unlocked_at: string | null;
  reward_transaction_id: number | null;
  updated_at: string;
}

const rowKey = (...parts: string[]) => JSON.stringify(parts);

export async function projectAchievementEvents(client: PoolClient, schemaName: string, events: ReplayedEvent[]): Promise<void> {
  const registered = new Map<string, AchievementRow>();
  const changed = new Map<string, AchievementChange>();
  const progress = new Map<string, ProgressDelta>();

  const progressOf = (app_id: string, key: string, user_id: string, at: string): ProgressDelta => {
    const id = rowKey(app_id, key, user_id);
    let delta = progress.get(id);
    if (!delta) {
      delta = { app_id, key, user_id, progress: 0, unlocked_at: null, reward_transaction_id: null, updated_at: at };
      progress.set(id, delta);
    }
    if (at > delta.updated_at) delta.updated_at = at;
    return delta;
  };

  // What the fold throws is an event's fault, never the database's (../quarantine.ts).
  folding(() => {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as AchievementEvent;
      switch (event.type) {
        case 'AchievementRegistered': {
          const { app_id, key, name, description, icon_url, goal, hidden, reward, registered_at } = event.data;
          registered.set(rowKey(app_id, key), {
            app_id,
            key,
            name,
            description,
            icon_url,
            goal,
            hidden,
            reward_amount: reward?.amount ?? null,
            reward_currency: reward?.currency ?? null,
            created_at: registered_at,
            updated_at: registered_at,
          });
          break;
        }
        case 'AchievementUpdated': {
          const { app_id, key, changes, updated_at } = event.data;
          const id = rowKey(app_id, key);
          const fresh = registered.get(id);
          if (fresh) {
            Object.assign(fresh, pick(changes), { updated_at });
          } else {
            const earlier = changed.get(id);
            changed.set(id, { app_id, key, changes: { ...earlier?.changes, ...pick(changes) }, updated_at });
          }
          break;
        }
        case 'ProgressRecorded': {
          const { app_id, key, user_id, progress: value, recorded_at } = event.data;
          const delta = progressOf(app_id, key, user_id, recorded_at);
          delta.progress = Math.max(delta.progress, value);
          break;
        }
        case 'AchievementUnlocked': {
          const { app_id, key, user_id, unlocked_at } = event.data;
          progressOf(app_id, key, user_id, unlocked_at).unlocked_at = unlocked_at;
          break;
        }
        case 'RewardGranted': {
          const { app_id, key, user_id, transaction_id, granted_at } = event.data;
          progressOf(app_id, key, user_id, granted_at).reward_transaction_id = transaction_id;
          break;
        }
        default:
          break; // not an achievements event
      }
    }
  });

  const s = schemaName;
  const run = (sql: string, rows: unknown[]) => (rows.length ? client.query(sql, [JSON.stringify(rows)]) : undefined);
  await run(`INSERT INTO ${s}.achievements SELECT * FROM jsonb_populate_recordset(null::${s}.achievements, $1)`, [...registered.values()]);
  // A field named in `changes` is set, to null too (a cleared description); others are kept.
  await run(
    `UPDATE ${s}.achievements a SET
        name = CASE WHEN u.changes ? 'name' THEN u.changes->>'name' ELSE a.name END,
        description = CASE WHEN u.changes ? 'description' THEN u.changes->>'description' ELSE a.description END,
        icon_url = CASE WHEN u.changes ? 'icon_url' THEN u.changes->>'icon_url' ELSE a.icon_url END,
        hidden = CASE WHEN u.changes ? 'hidden' THEN (u.changes->>'hidden')::boolean ELSE a.hidden END,
        updated_at = u.updated_at
       FROM jsonb_to_recordset($1) AS u(app_id text, key text, changes jsonb, updated_at timestamptz)
      WHERE a.app_id = u.app_id AND a.key = u.key`,
    [...changed.values()],
  );
  await run(
    `INSERT INTO ${s}.achievement_progress AS p
       SELECT * FROM jsonb_populate_recordset(null::${s}.achievement_progress, $1)
       ON CONFLICT (app_id, key, user_id) DO UPDATE SET
         progress = GREATEST(p.progress, excluded.progress),
         unlocked_at = coalesce(p.unlocked_at, excluded.unlocked_at),
         reward_transaction_id = coalesce(p.reward_transaction_id, excluded.reward_transaction_id),
         updated_at = GREATEST(p.updated_at, excluded.updated_at)`,
    [...progress.values()],
  );
}

/** Only the fields an update may change (an event never carries others, but a row must not take them). */
function pick(changes: AchievementChanges): AchievementChanges {
  const picked: AchievementChanges = {};
  if (changes.name !== undefined) picked.name = changes.name;
  if (changes.description !== undefined) picked.description = changes.description;
  if (changes.icon_url !== undefined) picked.icon_url = changes.icon_url;
  if (changes.hidden !== undefined) picked.hidden = changes.hidden;
  return picked;
}
