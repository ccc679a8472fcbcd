/**
 * The Achievements API through HTTP: a real gateway (createGateway), ledger, achievements service
 * and projector in-process, on a database and NATS prefix of this test's own.

 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'nats';
import type { Pool } from 'pg';
import { subjects } from '@coffer/contracts';
import { PostgresEventStore } from '@coffer/event-store';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import type { AchievementList, ProgressView, UserAchievementList } from '@coffer/contracts/http';
import type { ApiClient, Answer } from '../../gateway/test/api-client';
import { ADMIN_TOKEN, api, newIdempotencyKey, startGateway, startProjector, TIME, untilServing } from '../../gateway/test/gateway-harness';
import { startLedger } from '../../ledger/test/ledger-harness';
import { Generations } from '../../projector/src/read-models/generations';
import { verify } from '../../projector/src/read-models/rebuild-verify-status';
import { eventually, startAchievements } from './achievements-harness';

jest.setTimeout(120000);

const SNOWFLAKE = '169015299834642432'; // above 2^53: a JSON number would round it

describe('Achievements API over HTTP', () => {
  let database: TestDatabase;
  let prefix: string;
  let gateway: NestFastifyApplication;
  let pool: Pool;
  let apiKey: string;
  let appId: string;
  let otherKey: string;
  let otherAppId: string;
  const services: INestMicroservice[] = [];

  let app: ApiClient;
  let other: ApiClient;

  beforeAll(async () => {
    database = await createTestDatabase('achievements_http');
    prefix = testNatsPrefix('achievements_http');
    const env = { databaseUrl: database.url, prefix };
    services.push(await startLedger(env));
    services.push(await startAchievements(env));
    services.push(await startProjector(env));
    gateway = await startGateway(env);
    await untilServing(gateway);
    pool = database.pool();
    const created = await api(gateway, ADMIN_TOKEN).createApp({ name: 'Blackjack' });
    expect(created.status).toBe(201);
    ({ api_key: apiKey, app_id: appId } = { ...created.reply, api_key: String(created.reply.api_key) });
    const second = await api(gateway, ADMIN_TOKEN).createApp({ name: 'Poker' });
    ({ api_key: otherKey, app_id: otherAppId } = { ...second.reply, api_key: String(second.reply.api_key) });
    app = api(gateway, apiKey);
    other = api(gateway, otherKey);
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(services.splice(0).reverse().map((service) => service.close()));
    await pool?.end();
    await dropTestStreams(prefix);
    await database?.drop();
  });

  const coins = async (userId: string) => {
    const answer = await app.balance(userId);
    expect(answer.status).toBe(200);
    return answer.reply.balances.find((line) => line.currency === 'coins')?.posted ?? '0';
  };
  const badges = (userId: string) => app.userAchievements(userId);

  it('registers, reads, updates, reports progress, unlocks and pays the reward once', async () => {
    const registered = await app.registerAchievement({
      key: 'high_roller',
      name: 'High roller',
      description: 'Win 10 hands',
      icon_url: 'https://cdn.example.com/high-roller.png',
      goal: 10,
      reward: { amount: '500' },
      discord_role_id: '1187654321098765432',
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({
      app_id: appId,
      key: 'high_roller',
      name: 'High roller',
      description: 'Win 10 hands',
      icon_url: 'https://cdn.example.com/high-roller.png',
      goal: 10,
      hidden: false,
      reward: { amount: '500', currency: 'coins' },
      discord_role_id: '1187654321098765432',
      created_at: TIME,
      updated_at: TIME,
    });
    expect(registered.headers['x-coffer-position']).toMatch(/^\d+$/);

    const read = await app.achievement('high_roller');
    expect(read).toMatchObject({ status: 200, body: registered.body });

    const patched = await app.updateAchievement('high_roller', { name: 'High Roller', description: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'High Roller', description: null, goal: 10, reward: { amount: '500' } });

    const step = await app.send<ProgressView>('POST', '/achievements/high_roller/progress', { body: `{"user_id": ${SNOWFLAKE}, "increment": 4}` });
    expect(step.status).toBe(200);
    expect(step.body).toEqual({ key: 'high_roller', user_id: SNOWFLAKE, progress: 4, goal: 10, unlocked: false, unlocked_at: null });
    const lower = await app.recordProgress('high_roller', { user_id: SNOWFLAKE, set: 2 });
    expect(lower.body).toMatchObject({ progress: 4, unlocked: false });
    const done = await app.recordProgress('high_roller', { user_id: SNOWFLAKE, set: 99 });
    expect(done.body).toEqual({ key: 'high_roller', user_id: SNOWFLAKE, progress: 10, goal: 10, unlocked: true, unlocked_at: TIME });
    const again = await app.unlock('high_roller', { user_id: SNOWFLAKE });
    expect(again.body).toEqual(done.body);

    await eventually(() => coins(SNOWFLAKE), (posted) => posted === '500');
    const mine = await eventually(
      () => badges(SNOWFLAKE),
      (answer) => answer.status === 200 && answer.reply.data.some((badge) => badge.key === 'high_roller' && badge.unlocked),
    );
    expect(mine.reply.data).toContainEqual({
      app_id: appId,
      key: 'high_roller',
      name: 'High Roller',
      description: null,
      icon_url: 'https://cdn.example.com/high-roller.png',
      progress: 10,
      goal: 10,
      unlocked: true,
      unlocked_at: done.reply.unlocked_at,
    });
    await eventually(
      () => pool.query(`SELECT reward_transaction_id FROM coffer_read.achievement_progress WHERE user_id = $1`, [SNOWFLAKE]),
      (result) => result.rows[0]?.reward_transaction_id !== null && result.rowCount === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await coins(SNOWFLAKE)).toBe('500');
  });

  it("lists a user's badges across apps, showing a hidden one only once unlocked", async () => {
    expect((await app.registerAchievement({ key: 'secret', name: 'Secret', hidden: true })).status).toBe(201);
    expect((await app.registerAchievement({ key: 'visible', name: 'Visible', goal: 3 })).status).toBe(201);
    expect((await other.registerAchievement({ key: 'visible', name: 'Poker visible' })).status).toBe(201);
    expect((await app.recordProgress('visible', { user_id: 'zoe', increment: 1 })).status).toBe(200);

    const before = await eventually(
      () => badges('zoe'),
      (answer) => answer.status === 200 && answer.reply.data.some((badge) => badge.key === 'visible' && badge.progress === 1),
    );
    const keys = (answer: Answer<UserAchievementList>) => answer.reply.data.map((badge) => `${badge.app_id}/${badge.key}`);
    expect(keys(before)).toEqual(expect.arrayContaining([`${appId}/visible`, `${otherAppId}/visible`]));
    expect(keys(before)).not.toContain(`${appId}/secret`);
    expect(before.reply.data.find((badge) => badge.app_id === otherAppId)).toMatchObject({ progress: 0, unlocked: false });

    expect((await app.unlock('secret', { user_id: 'zoe' })).status).toBe(200);
    const after = await eventually(() => badges('zoe'), (answer) => keys(answer).includes(`${appId}/secret`));
    expect(after.reply.data.find((badge) => badge.key === 'secret')).toMatchObject({ progress: 1, goal: 1, unlocked: true });
    expect(keys(await badges('nobody-else'))).not.toContain(`${appId}/secret`);

    const list = await eventually(() => app.achievements(), (answer) => answer.status === 200 && answer.reply.data.length >= 3);
    expect(list.reply.data.map((a) => a.key)).toEqual(expect.arrayContaining(['secret', 'visible']));
    expect(list.reply.data.every((a) => a.app_id === appId)).toBe(true);
    // The role reached the event and, from it, the read model the list comes from.
    expect(list.reply.data.find((a) => a.key === 'high_roller')?.discord_role_id).toBe('1187654321098765432');
  });

  it('pages every list with limit and next_cursor, to the last page', async () => {
    for (const key of ['p1', 'p2', 'p3', 'p4', 'p5']) expect((await other.registerAchievement({ key, name: key })).status).toBe(201);
    const full = await eventually(() => other.achievements(), (answer) => answer.status === 200 && answer.reply.data.length >= 6);
    expect(full.reply.next_cursor).toBeNull();
    const walk = async (first: string, next: (cursor: string) => string) => {
      const pages: string[][] = [];
      let answer = await other.send<AchievementList | UserAchievementList>('GET', first);
      for (;;) {
        expect(answer.status).toBe(200);
        const page = answer.reply;
        pages.push(page.data.map((item) => `${item.app_id}/${item.key}`));
        if (page.next_cursor === null) return pages;
        answer = await other.send<AchievementList | UserAchievementList>('GET', next(page.next_cursor));
      }
    };
    const byTwo = await walk('/achievements?limit=2', (cursor) => `/achievements?limit=2&cursor=${cursor}`);
    expect(byTwo.map((page) => page.length)).toEqual([2, 2, 2]);
    expect(byTwo.flat()).toEqual(full.reply.data.map((item) => `${item.app_id}/${item.key}`));

    const badgesOfAll = (await other.userAchievements('paula')).reply;
    expect(badgesOfAll.next_cursor).toBeNull();
    const oneByOne = await walk('/users/paula/achievements?limit=1', (cursor) => `/users/paula/achievements?limit=1&cursor=${encodeURIComponent(cursor)}`);
    expect(oneByOne.flat()).toEqual(badgesOfAll.data.map((item) => `${item.app_id}/${item.key}`));
    expect(oneByOne.every((page) => page.length === 1)).toBe(true);

    const apps = await api(gateway, ADMIN_TOKEN).apps({ limit: 1 });
    expect(apps).toMatchObject({ status: 200, body: { data: [{ app_id: appId }], next_cursor: appId } });
    const second = await api(gateway, ADMIN_TOKEN).apps({ limit: 1, cursor: appId });
    expect(second).toMatchObject({ status: 200, body: { data: [{ app_id: otherAppId }], next_cursor: null } });

    for (const [url, token] of [
      ['/achievements?limit=101', otherKey],
      ['/achievements?cursor=a%20b', otherKey],
      ['/users/paula/achievements?limit=0', otherKey],
      ['/users/paula/achievements?cursor=p1', otherKey],
      ['/admin/apps?limit=101', ADMIN_TOKEN],
      ['/admin/apps?cursor=bob', ADMIN_TOKEN],
    ]) {
      expect([url, (await api(gateway, token).send('GET', url)).error.code]).toEqual([url, 'VALIDATION_FAILED']);
    }
  });

  it('counts stats per app: users with progress, unlocks and their rate', async () => {
    expect((await app.registerAchievement({ key: 'streak', name: 'Streak', goal: 2 })).status).toBe(201);
    expect(await app.achievementStats('streak')).toMatchObject({
      status: 200,
      body: { key: 'streak', users_with_progress: 0, unlocked_count: 0, unlock_rate: 0 },
    });
    for (const user of ['s1', 's2', 's3', 's4']) {
      expect((await app.recordProgress('streak', { user_id: user, increment: 1 })).status).toBe(200);
    }
    expect((await app.unlock('streak', { user_id: 's1' })).status).toBe(200);
    const stats = await eventually(() => app.achievementStats('streak'), (answer) => answer.status === 200 && answer.reply.unlocked_count === 1);
    expect(stats.body).toEqual({ key: 'streak', users_with_progress: 4, unlocked_count: 1, unlock_rate: 0.25 });
    expect((await other.achievementStats('streak')).status).toBe(404);
    expect((await other.achievement('streak')).status).toBe(404);
  });

  it('answers a key registered again with the same definition with the existing one (200), with another 409', async () => {
    const definition = { key: 'daily', name: 'Daily', goal: 7, reward: { amount: '25' } };
    const key = newIdempotencyKey();
    const created = await app.registerAchievement(definition, { idempotencyKey: key });
    expect(created.status).toBe(201);
    // The retry of the very request (same Idempotency-Key) is its first answer again: 201.
    const replayed = await app.registerAchievement(definition, { idempotencyKey: key });
    expect(replayed).toMatchObject({ status: 201, body: created.body });
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    // An app registering its achievements at every start: the same definition, with a name the
    // service stores trimmed and the default currency spelled out, changes nothing.
    const again = await app.registerAchievement({ ...definition, name: ' Daily ', reward: { amount: 25, currency: 'coins' } });
    expect(again).toMatchObject({ status: 200, body: created.body });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    // The domain's `created` chooses the status and stays out of the body (API.md lists no such field).
    expect(again.body).toEqual(created.body);
    expect(created.body).not.toHaveProperty('created');
    // A no-op sent with a key of its own records nothing: its retry is decided again, 200 again.
    const noOpKey = newIdempotencyKey();
    expect(await app.registerAchievement(definition, { idempotencyKey: noOpKey })).toMatchObject({ status: 200, body: created.body });
    expect(await app.registerAchievement(definition, { idempotencyKey: noOpKey })).toMatchObject({ status: 200, body: created.body });
    const conflict = await app.registerAchievement({ ...definition, goal: 8 });
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', details: { key: 'daily' } } } });
    // Nothing changed; and a key is unique within its app only: another app may take it.
    expect(await app.achievement('daily')).toMatchObject({ status: 200, body: created.body });
    expect((await other.registerAchievement({ ...definition, goal: 8 })).status).toBe(201);
  });

  it('replays an Idempotency-Key with the first answer and refuses it with another body', async () => {
    expect((await app.registerAchievement({ key: 'clicks', name: 'Clicks', goal: 100 })).status).toBe(201);
    const key = newIdempotencyKey();
    const first = await app.recordProgress('clicks', { user_id: 'ida', increment: 5 }, { idempotencyKey: key });
    expect(first.status).toBe(200);
    const retry = await app.recordProgress('clicks', { user_id: 'ida', increment: 5 }, { idempotencyKey: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const reused = await app.recordProgress('clicks', { user_id: 'ida', increment: 6 }, { idempotencyKey: key });
    expect(reused).toMatchObject({ status: 422, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED' } } });
    const elsewhere = await app.recordProgress('clicks', { user_id: 'jack', increment: 5 }, { idempotencyKey: key });
    expect(elsewhere).toMatchObject({ status: 422, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED' } } });
    const now = await app.recordProgress('clicks', { user_id: 'ida', set: 0 });
    expect(now.reply.progress).toBe(5);
  });

  describe('refuses malformed requests with 4xx and a stable code', () => {
    const long = 'x'.repeat(70 * 1024);
    const cases: Array<[string, string, string, (object | string)?, Record<string, string>?, number?, string?]> = [
      // [name, method, url, body, headers, status, code]
      ['no API key', 'POST', '/achievements', { key: 'k', name: 'n' }, { authorization: '' }, 401, 'UNAUTHENTICATED'],
      ['malformed JSON', 'POST', '/achievements', '{"key": "k", "name": ', undefined, 400, 'MALFORMED_JSON'],
      ['a key with a space', 'POST', '/achievements', { key: 'a b', name: 'n' }],
      ['a key of 65 characters', 'POST', '/achievements', { key: 'k'.repeat(65), name: 'n' }],
      ['no name', 'POST', '/achievements', { key: 'k' }],
      ['a blank name', 'POST', '/achievements', { key: 'k', name: '   ' }],
      ['a name of 101 characters', 'POST', '/achievements', { key: 'k', name: 'n'.repeat(101) }],
      ['a description of 501 characters', 'POST', '/achievements', { key: 'k', name: 'n', description: 'd'.repeat(501) }],
      ['a javascript: icon URL', 'POST', '/achievements', { key: 'k', name: 'n', icon_url: 'javascript:alert(1)' }],
      ['an ftp icon URL', 'POST', '/achievements', { key: 'k', name: 'n', icon_url: 'ftp://example.com/a.png' }],
      ['an icon URL of 2049 characters', 'POST', '/achievements', { key: 'k', name: 'n', icon_url: `https://e.com/${'x'.repeat(2035)}` }],
      ['goal 0', 'POST', '/achievements', { key: 'k', name: 'n', goal: 0 }],
      ['a fractional goal', 'POST', '/achievements', { key: 'k', name: 'n', goal: 1.5 }],
      ['a goal as a string', 'POST', '/achievements', { key: 'k', name: 'n', goal: '5' }],
      ['a goal above 10^9', 'POST', '/achievements', { key: 'k', name: 'n', goal: 1_000_000_001 }],
      ['a null goal', 'POST', '/achievements', { key: 'k', name: 'n', goal: null }],
      ['hidden as a string', 'POST', '/achievements', { key: 'k', name: 'n', hidden: 'yes' }],
      ['a zero reward', 'POST', '/achievements', { key: 'k', name: 'n', reward: { amount: 0 } }],
      ['a reward above 10^18', 'POST', '/achievements', { key: 'k', name: 'n', reward: { amount: '1000000000000000001' } }],
      ['a reward in an invalid currency', 'POST', '/achievements', { key: 'k', name: 'n', reward: { amount: 1, currency: 'GOLD' } }],
      ['a reward with an unknown field', 'POST', '/achievements', { key: 'k', name: 'n', reward: { amount: 1, bonus: 2 } }],
      ['a reward that is not an object', 'POST', '/achievements', { key: 'k', name: 'n', reward: 100 }],
      ['an unknown field', 'POST', '/achievements', { key: 'k', name: 'n', points: 10 }],
      ['the same key with another definition', 'POST', '/achievements', { key: 'taken', name: 'Other name' }, undefined, 409, 'CONFLICT'],
      ['progress with both increment and set', 'POST', '/achievements/taken/progress', { user_id: 'u', increment: 1, set: 2 }],
      ['progress with neither increment nor set', 'POST', '/achievements/taken/progress', { user_id: 'u' }],
      ['increment 0', 'POST', '/achievements/taken/progress', { user_id: 'u', increment: 0 }],
      ['a negative set', 'POST', '/achievements/taken/progress', { user_id: 'u', set: -1 }],
      ['an increment as a string', 'POST', '/achievements/taken/progress', { user_id: 'u', increment: '1' }],
      ['no user id', 'POST', '/achievements/taken/progress', { increment: 1 }],
      ['a user id with a space', 'POST', '/achievements/taken/progress', { user_id: 'a b', increment: 1 }],
      ['a negative user id', 'POST', '/achievements/taken/unlock', '{"user_id": -5}'],
      ['an unlock with no body', 'POST', '/achievements/taken/unlock'],
      ['progress on a key that does not exist', 'POST', '/achievements/missing/progress', { user_id: 'u', increment: 1 }, undefined, 404, 'NOT_FOUND'],
      ['a malformed key in the path', 'GET', '/achievements/bad%20key'],
      ['a key of 65 characters in the path', 'POST', `/achievements/${'k'.repeat(65)}/unlock`, { user_id: 'u' }],
      ['a PATCH of the goal', 'PATCH', '/achievements/taken', { goal: 5 }],
      ['a PATCH with nothing to change', 'PATCH', '/achievements/taken', {}],
      ['a PATCH of the name to null', 'PATCH', '/achievements/taken', { name: null }],
      ['a PATCH of a key that does not exist', 'PATCH', '/achievements/missing', { name: 'x' }, undefined, 404, 'NOT_FOUND'],
      ['badges of a malformed user id', 'GET', '/users/a%20b/achievements'],
      ['an Idempotency-Key of 256 characters', 'POST', '/achievements/taken/unlock', { user_id: 'u' }, { 'idempotency-key': 'i'.repeat(256) }],
      ['a body over 64 KiB', 'POST', '/achievements', { key: 'k', name: 'n', description: long }, undefined, 413, 'PAYLOAD_TOO_LARGE'],
    ];

    it(`answers each of the ${cases.length} with its 4xx, and nothing is recorded`, async () => {
      expect(cases.length).toBeGreaterThanOrEqual(15);
      expect((await app.registerAchievement({ key: 'taken', name: 'Taken', goal: 5 })).status).toBe(201);
      for (const [name, method, url, body, headers, status = 400, code = 'VALIDATION_FAILED'] of cases) {
        const answer = await api(gateway).send(method, url, {
          token: headers?.authorization === '' ? undefined : apiKey,
          body,
          headers: Object.fromEntries(Object.entries(headers ?? {}).filter(([header]) => header !== 'authorization')),
        });
        expect({ name, status: answer.status, code: answer.error.code }).toEqual({ name, status, code });
        expect(answer.status).toBeLessThan(500);
      }
      const taken = await app.achievement('taken');
      expect(taken.body).toMatchObject({ name: 'Taken', goal: 5, hidden: false });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM coffer_es.events WHERE stream LIKE 'progress-%' AND data->>'key' IN ('taken', 'missing')`,
      );
      expect(rows[0].n).toBe(0);
    });
  });

  it('documents every achievements route in the OpenAPI document (/docs)', async () => {
    const answer = await api(gateway).openApi();
    expect(answer.status).toBe(200);
    const paths = answer.reply.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/achievements']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/achievements/{key}']).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(paths['/achievements/{key}/progress'])).toEqual(['post']);
    expect(Object.keys(paths['/achievements/{key}/unlock'])).toEqual(['post']);
    expect(Object.keys(paths['/achievements/{key}/stats'])).toEqual(['get']);
    expect(Object.keys(paths['/users/{user_id}/achievements'])).toEqual(['get']);
    const schemas = answer.reply.components.schemas;
    expect(Object.keys(schemas.RecordProgressDto.properties).sort()).toEqual(['increment', 'set', 'user_id']);
    expect(schemas.RegisterAchievementDto.required.sort()).toEqual(['key', 'name']);
  });

  it('keeps read models equal to a fresh fold of the events, and publishes achievements events on JetStream', async () => {
    const store = await PostgresEventStore.connect({ connectionString: database.url });
    const generations = new Generations(pool);
    try {
      const head = await store.headPosition();
      await eventually(
        () => pool.query('SELECT position FROM coffer_read.checkpoint'),
        (result) => BigInt(result.rows[0].position) >= (head ?? -1n),
      );
      const report = await verify(store, generations);
      expect(report).toMatchObject({ ok: true, problems: [] });
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM coffer_read.achievement_progress');
      expect(rows[0].n).toBeGreaterThan(5);
    } finally {
      await store.close();
    }

    const nc = await connect({ servers: testNatsUrl() });
    try {
      const jsm = await nc.jetstreamManager();
      const s = subjects(prefix);
      for (const type of ['AchievementRegistered', 'AchievementUpdated', 'ProgressRecorded', 'AchievementUnlocked', 'RewardGranted']) {
        const message = await eventually(
          () => jsm.streams.getMessage(s.eventsStream, { last_by_subj: s.event('achievements', type) }).catch(() => null),
          (found) => found !== null,
        );
        expect(message?.json<{ type: string }>().type).toBe(type);
      }
    } finally {
      await nc.close();
    }
  });
});
