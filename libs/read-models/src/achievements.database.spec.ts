/**
 * The achievements read models end to end against PostgreSQL, as one file each defines them:
 * their DDL, folds and writes, then the queries the gateway runs. Tables are created straight in
 * `coffer_read` here (the projector puts them in a generation schema behind views of that name).
 */
import type { Pool, PoolClient } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { achievementStats, userAchievements } from './achievement-progress';
import { listAchievements } from './achievements';
import { READ_MODELS } from './index';
import { READ_SCHEMA } from './read-model';

let position = 0n;
const event = (type: string, data: object): ReplayedEvent => ({ type, data, globalPosition: ++position, occurredAt: new Date(0) });
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

const registered = (app_id: string, key: string, extra: object = {}) =>
  event('AchievementRegistered', {
    app_id,
    key,
    name: `Name of ${key}`,
    description: null,
    icon_url: null,
    goal: 2,
    hidden: false,
    reward: null,
    registered_at: iso(0),
    ...extra,
  });
const updated = (app_id: string, key: string, changes: object, second: number) =>
  event('AchievementUpdated', { app_id, key, changes, updated_at: iso(second) });
const progressed = (app_id: string, key: string, user_id: string, progress: number, second: number) =>
  event('ProgressRecorded', { app_id, key, user_id, progress, recorded_at: iso(second) });
const unlocked = (app_id: string, key: string, user_id: string, second: number) =>
  event('AchievementUnlocked', { app_id, key, user_id, unlock_id: `${app_id}/${key}/${user_id}`, unlocked_at: iso(second), reward: null });
const granted = (app_id: string, key: string, user_id: string, transaction_id: number, second: number) =>
  event('RewardGranted', {
    app_id,
    key,
    user_id,
    unlock_id: `${app_id}/${key}/${user_id}`,
    transaction_id,
    amount: '5',
    currency: 'coins',
    granted_at: iso(second),
  });

describe('the achievements read models in PostgreSQL', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('read_models');
    pool = database.pool();
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  beforeEach(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${READ_SCHEMA} CASCADE`);
    await pool.query(`CREATE SCHEMA ${READ_SCHEMA}`);
    for (const model of READ_MODELS) {
      for (const statement of [...model.ddl(READ_SCHEMA), ...(model.lookupKeyDdl?.(READ_SCHEMA) ?? []), ...model.readerIndexDdl(READ_SCHEMA)]) await pool.query(statement);
    }
  });

  /** Projects each batch in its own transaction, as the projector does. */
  async function project(...batches: ReplayedEvent[][]): Promise<void> {
    for (const events of batches) {
      const client: PoolClient = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const write of READ_MODELS.map((model) => model.fold(events, { settlements: [], realm: 'default' }))) await write(client, READ_SCHEMA);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    }
  }

  const rows = async (table: string, order: string) => (await pool.query(`SELECT * FROM ${READ_SCHEMA}.${table} ORDER BY ${order}`)).rows;

  it('ends with the same rows whether the events come in one batch or one by one', async () => {
    const events = [
      registered('app_1', 'first', { description: 'old', reward: { amount: '5', currency: 'coins' } }),
      progressed('app_1', 'first', 'alice', 1, 1),
      updated('app_1', 'first', { description: null, hidden: true }, 2),
      progressed('app_1', 'first', 'alice', 2, 3),
      unlocked('app_1', 'first', 'alice', 3),
      granted('app_1', 'first', 'alice', 77, 4),
      progressed('app_1', 'first', 'bob', 1, 5),
      updated('app_1', 'first', { name: 'Renamed' }, 6),
    ];
    await project(events);
    const together = [await rows('achievements', 'app_id, key'), await rows('achievement_progress', 'app_id, key, user_id')];
    // Every table: projecting an event twice is refused (the audit trail's rows are keyed by position).
    await pool.query(`TRUNCATE ${READ_MODELS.flatMap((model) => Object.keys(model.tables).map((table) => `${READ_SCHEMA}.${table}`)).join(', ')}`);
    await project(...events.map((one) => [one]));
    expect([await rows('achievements', 'app_id, key'), await rows('achievement_progress', 'app_id, key, user_id')]).toEqual(together);
    expect(together[0]).toEqual([
      expect.objectContaining({ name: 'Renamed', description: null, hidden: true, reward_amount: '5', updated_at: new Date(iso(6)) }),
    ]);
    expect(together[1]).toEqual([
      expect.objectContaining({ user_id: 'alice', progress: 2, unlocked_at: new Date(iso(3)), reward_transaction_id: '77' }),
      expect.objectContaining({ user_id: 'bob', progress: 1, unlocked_at: null, reward_transaction_id: null }),
    ]);
  });

  it('merges a user progress with what earlier batches wrote, whatever order the batches come in', async () => {
    await project([registered('app_1', 'k')]);
    await project([granted('app_1', 'k', 'alice', 9, 8)], [progressed('app_1', 'k', 'alice', 2, 5), unlocked('app_1', 'k', 'alice', 5)], [progressed('app_1', 'k', 'alice', 1, 1)]);
    expect(await rows('achievement_progress', 'user_id')).toEqual([
      { realm: 'default', app_id: 'app_1', key: 'k', user_id: 'alice', progress: 2, unlocked_at: new Date(iso(5)), reward_transaction_id: '9', updated_at: new Date(iso(8)) },
    ]);
  });

  it("answers the gateway's queries: an app's achievements, a user's badges and an achievement's statistics, a page at a time", async () => {
    await project([
      registered('app_1', 'b', { reward: { amount: '10', currency: 'gems' } }),
      registered('app_1', 'a'),
      registered('app_1', 'secret', { hidden: true }),
      registered('app_2', 'a'),
      progressed('app_1', 'a', 'alice', 2, 1),
      unlocked('app_1', 'a', 'alice', 1),
      progressed('app_1', 'a', 'bob', 1, 2),
      progressed('app_1', 'a', 'carol', 1, 2),
      progressed('app_2', 'a', 'bob', 1, 2),
    ]);

    const first = await listAchievements(pool, 'app_1', 2);
    expect(first.data.map((achievement) => achievement.key)).toEqual(['a', 'b']);
    expect(first.data[1]).toEqual({
      app_id: 'app_1',
      key: 'b',
      name: 'Name of b',
      description: null,
      icon_url: null,
      goal: 2,
      hidden: false,
      reward: { amount: '10', currency: 'gems' },
      discord_role_id: null,
      created_at: iso(0),
      updated_at: iso(0),
    });
    expect(first.next_cursor).toBe('b');
    const rest = await listAchievements(pool, 'app_1', 2, 'b');
    expect(rest).toEqual({ data: [expect.objectContaining({ key: 'secret', hidden: true })], next_cursor: null });

    // A hidden achievement is a user's badge only once unlocked.
    const badges = await userAchievements(pool, 'default', 'alice', 10);
    expect(badges.data.map((badge) => `${badge.app_id}/${badge.key}`)).toEqual(['app_1/a', 'app_1/b', 'app_2/a']);
    expect(badges.data[0]).toEqual({
      app_id: 'app_1',
      key: 'a',
      name: 'Name of a',
      description: null,
      icon_url: null,
      progress: 2,
      goal: 2,
      unlocked: true,
      unlocked_at: iso(1),
    });
    await project([progressed('app_1', 'secret', 'alice', 2, 3), unlocked('app_1', 'secret', 'alice', 3)]);
    const paged = await userAchievements(pool, 'default', 'alice', 2, 'app_1/a');
    expect(paged.data.map((badge) => badge.key)).toEqual(['b', 'secret']);
    expect(paged.next_cursor).toBe('app_1/secret');

    expect(await achievementStats(pool, 'app_1', 'a')).toEqual({ key: 'a', users_with_progress: 3, unlocked_count: 1, unlock_rate: 0.3333 });
    expect(await achievementStats(pool, 'app_1', 'b')).toEqual({ key: 'b', users_with_progress: 0, unlocked_count: 0, unlock_rate: 0 });
    expect(await achievementStats(pool, 'app_1', 'unknown')).toBeNull();
  });
});
