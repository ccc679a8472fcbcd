/**
 * Achievement definitions: one row per (app_id, key), the definition as last updated. Serves an
 * app's list of its achievements (GET /achievements, hidden ones too: they are its own) and,
 * joined by the progress read model (achievement-progress.ts), a user's badges.
 *
 * Folded from AchievementRegistered and AchievementUpdated into one row per achievement
 * registered in the batch and one merged change per achievement registered earlier, written
 * with two statements whatever the batch size.
 */
import type { ClientBase } from 'pg';
import type { AchievementChanges, AchievementEvent, AchievementReply } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { page, READ_SCHEMA, rowKey, writeRows, type Page, type Queryable, type ReadModel } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const ACHIEVEMENTS_TABLE = 'achievements';

export function achievementsDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${ACHIEVEMENTS_TABLE} (
       realm text NOT NULL,
       app_id text NOT NULL,
       key text NOT NULL,
       name text NOT NULL,
       description text,
       icon_url text,
       goal integer NOT NULL,
       hidden boolean NOT NULL,
       reward_amount numeric(40),
       reward_currency text,
       discord_role_id text,
       created_at timestamptz NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (app_id, key))`,
  ];
}

/** A row as written (JSON: amounts are decimal strings, times ISO strings); its realm is its app's (the batch's). */
export interface AchievementRow {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward_amount: string | null;
  reward_currency: string | null;
  discord_role_id: string | null;
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

export interface AchievementsBatch {
  /** Registered in this batch, with this batch's later updates already applied. */
  registered: Map<string, AchievementRow>;
  /** Registered in an earlier batch: the changes of this batch, merged. */
  changed: Map<string, AchievementChange>;
}

export function foldAchievements(events: readonly ReplayedEvent[]): AchievementsBatch {
  const batch: AchievementsBatch = { registered: new Map(), changed: new Map() };
  for (const recorded of events) {
    const event = recorded as unknown as AchievementEvent; // read as the union its type names
    switch (event.type) {
      case 'AchievementRegistered': {
        const { app_id, key, name, description, icon_url, goal, hidden, reward, discord_role_id, registered_at } = event.data;
        batch.registered.set(rowKey(app_id, key), {
          app_id,
          key,
          name,
          description,
          icon_url,
          goal,
          hidden,
          reward_amount: reward?.amount ?? null,
          reward_currency: reward?.currency ?? null,
          discord_role_id,
          created_at: registered_at,
          updated_at: registered_at,
        });
        break;
      }
      case 'AchievementUpdated': {
        const { app_id, key, changes, updated_at } = event.data;
        const id = rowKey(app_id, key);
        const fresh = batch.registered.get(id);
        if (fresh) {
          Object.assign(fresh, pick(changes), { updated_at });
        } else {
          const earlier = batch.changed.get(id);
          batch.changed.set(id, { app_id, key, changes: { ...earlier?.changes, ...pick(changes) }, updated_at });
        }
        break;
      }
      default:
        break; // not about a definition
    }
  }
  return batch;
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

export async function writeAchievements(client: ClientBase, schema: string, batch: AchievementsBatch, realm: string): Promise<void> {
  const table = `${schema}.${ACHIEVEMENTS_TABLE}`;
  await writeRealmRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`, [...batch.registered.values()], realm);
  // A field named in `changes` is set, to null too (a cleared description); others are kept.
  await writeRows(
    client,
    `UPDATE ${table} a SET
        name = CASE WHEN u.changes ? 'name' THEN u.changes->>'name' ELSE a.name END,
        description = CASE WHEN u.changes ? 'description' THEN u.changes->>'description' ELSE a.description END,
        icon_url = CASE WHEN u.changes ? 'icon_url' THEN u.changes->>'icon_url' ELSE a.icon_url END,
        hidden = CASE WHEN u.changes ? 'hidden' THEN (u.changes->>'hidden')::boolean ELSE a.hidden END,
        updated_at = u.updated_at
       FROM jsonb_to_recordset($1) AS u(app_id text, key text, changes jsonb, updated_at timestamptz)
      WHERE a.app_id = u.app_id AND a.key = u.key`,
    [...batch.changed.values()],
  );
}

export const achievementDefinitions: ReadModel = {
  tables: { [ACHIEVEMENTS_TABLE]: ['app_id', 'key'] },
  ddl: achievementsDdl,
  readerIndexDdl: () => [],
  fold(events, context) {
    const batch = foldAchievements(events);
    return (client, schema) => writeAchievements(client, schema, batch, context.realm);
  },
};

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

/** A page of the app's achievements, hidden ones too (they are its own), by key, after the key `after`. */
export async function listAchievements(db: Queryable, appId: string, limit: number, after?: string): Promise<Page<AchievementReply>> {
  const { rows } = await db.query(
    `SELECT app_id, key, name, description, icon_url, goal, hidden, reward_amount::text AS reward_amount,
            reward_currency, discord_role_id, created_at, updated_at
       FROM ${READ_SCHEMA}.${ACHIEVEMENTS_TABLE} WHERE app_id = $1 AND key COLLATE "C" > $2
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
    discord_role_id: row.discord_role_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }));
}
