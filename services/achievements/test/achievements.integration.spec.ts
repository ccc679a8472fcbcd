/**
 * The achievements service end to end over NATS and PostgreSQL, beside a real ledger: each test
 * on a database and NATS prefix of its own.
 */
import type { INestMicroservice } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { AchievementRegistered, AchievementUnlocked, ProgressReply, RewardGranted } from '@coffer/contracts';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, readAllCommitted, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { LedgerTestClient, ok, startLedger } from '../../ledger/test/ledger-harness';
import { achievementStream, progressStream, rewardStream, unlockIdOf } from '../src/domain/streams';
import { MAX_DEADLINE_AHEAD_MS } from '@coffer/contracts';
import { MAX_ACHIEVEMENTS_PER_APP } from '../src/writer/achievement-quota';
import { QUEUE_FULL_RETRY_AFTER_SECONDS } from '@coffer/decider';
import { AchievementsWriter, DEFAULT_WRITER_OPTIONS } from '../src/writer/achievements-writer';
import { AchievementQuota } from '../src/writer/achievement-quota';
import { CommandClaims } from '../src/writer/command-claims';
import { ensureAchievementsSchema } from '../src/writer/achievements-schema';
import { accepted, AchievementsTestClient, eventually, startAchievements } from './achievements-harness';

jest.setTimeout(90000);

describe('achievements service over NATS and PostgreSQL', () => {
  let database: TestDatabase;
  let prefix: string;
  let client: AchievementsTestClient;
  let ledger: LedgerTestClient;
  let store: PostgresEventStore;
  let pool: Pool;
  const running: INestMicroservice[] = [];

  const env = () => ({ databaseUrl: database.url, prefix });
  const start = async () => {
    const app = await startAchievements(env());
    running.push(app);
    return app;
  };
  const stop = async (app: INestMicroservice) => {
    running.splice(running.indexOf(app), 1);
    await app.close();
  };
  const startTheLedger = async () => {
    const app = await startLedger(env());
    running.push(app);
    return app;
  };

  beforeEach(async () => {
    database = await createTestDatabase('achievements');
    prefix = testNatsPrefix('achievements');
    client = new AchievementsTestClient(prefix);
    ledger = new LedgerTestClient(prefix);
    store = await PostgresEventStore.connect({ connectionString: database.url });
    pool = database.pool();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
    await client.close();
    await ledger.close();
    await store.close();
    await pool.end();
    await database.drop();
  });

  const registerApp = async () =>
    ok(await ledger.untilAnswered(() => ledger.command({ type: 'RegisterApp', data: { name: 'Game', key_id: `key_${randomUUID()}`, key_hash: randomUUID() } })))
      .result.app_id as string;

  const registerAchievement = async (app_id: string, fields: Partial<AchievementRegistered> = {}) =>
    accepted(
      await client.untilAnswered(() =>
        client.command(
          {
            type: 'RegisterAchievement',
            data: {
              key: 'first_win',
              name: 'First win',
              description: null,
              icon_url: null,
              goal: 1,
              hidden: false,
              reward: null,
              ...fields,
            },
          },
          { app_id },
        ),
      ),
    ).result;

  const coins = async (user_id: string) => {
    const reply = ok(await ledger.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id }));
    return reply.balances.find((line) => line.currency === 'coins')?.posted ?? '0';
  };

  const eventsOfType = async (type: string) => (await readAllCommitted(store)).filter((event) => event.type === type);

  it('applies 40 concurrent increments of one user exactly: progress 40 of 100, one event each', async () => {
    await start();
    const app_id = 'app_1';
    await registerAchievement(app_id, { key: 'grinder', goal: 100 });
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => client.command({ type: 'RecordProgress', data: { key: 'grinder', user_id: 'alice', increment: 1 } }, { app_id })),
    );
    expect(replies.every((reply) => reply.ok)).toBe(true);
    const progresses = replies.map((reply) => accepted(reply).result.progress as number).sort((a, b) => a - b);
    expect(progresses).toEqual(Array.from({ length: 40 }, (_, i) => i + 1)); // each saw its own increment
    const events = await store.readStream(progressStream(app_id, 'grinder', 'alice'));
    expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual(progresses);
    const final = accepted(await client.command({ type: 'RecordProgress', data: { key: 'grinder', user_id: 'alice', set: 0 } }, { app_id }));
    expect(final.result).toEqual({ key: 'grinder', user_id: 'alice', progress: 40, goal: 100, unlocked: false, unlocked_at: null });
    expect(final.position).toBe(''); // a lower set records nothing
  });

  it('stays exact with two instances racing on one stream (optimistic concurrency) and unlocks once', async () => {
    await start();
    await start();
    const app_id = 'app_1';
    await registerAchievement(app_id, { key: 'race', goal: 50, reward: { amount: '5', currency: 'coins' } });
    const replies = await Promise.all(
      Array.from({ length: 80 }, () => client.command({ type: 'RecordProgress', data: { key: 'race', user_id: 'bob', increment: 1 } }, { app_id })),
    );
    expect(replies.filter((reply) => !reply.ok)).toEqual([]);
    const stream = await store.readStream(progressStream(app_id, 'race', 'bob'));
    expect(stream.filter((event) => event.type === 'ProgressRecorded')).toHaveLength(50);
    expect(stream.filter((event) => event.type === 'AchievementUnlocked')).toHaveLength(1);
    const answers = replies.map((reply) => accepted(reply).result as ProgressReply);
    expect(answers.filter((answer) => answer.progress === 50)).toHaveLength(31); // the 50th and the 30 after it
    expect(new Set(answers.filter((answer) => answer.unlocked).map((answer) => answer.unlocked_at)).size).toBe(1);
  });

  it('pays an unlock reward exactly once across a restart of the service', async () => {
    await startTheLedger();
    const app_id = await registerApp();
    const first = await start();
    await registerAchievement(app_id, { key: 'jackpot', reward: { amount: '250', currency: 'coins' } });
    const unlocked = accepted(await client.command({ type: 'Unlock', data: { key: 'jackpot', user_id: 'carol' } }, { app_id }));
    expect(unlocked.result).toMatchObject({ progress: 1, goal: 1, unlocked: true });
    await stop(first); // right after the unlock: the reward may or may not be paid yet

    await start();
    const unlockId = unlockIdOf(app_id, 'jackpot', 'carol');
    await eventually(() => store.readStream(rewardStream(unlockId)), (events) => events.length === 1);
    expect(await coins('carol')).toBe('250');

    // Unlocking again changes nothing, and another restart pays nothing more.
    const again = accepted(await client.command({ type: 'Unlock', data: { key: 'jackpot', user_id: 'carol' } }, { app_id }));
    expect(again).toMatchObject({ position: '', replayed: false, result: { unlocked: true, unlocked_at: unlocked.result.unlocked_at } });
    await stop(running[running.length - 1]);
    await start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await coins('carol')).toBe('250');
    const grants = await eventsOfType('RewardGranted');
    expect(grants).toHaveLength(1);
    const posted = (await eventsOfType('TransactionPosted')).filter((event) => (event.data as { description: string }).description === 'achievement jackpot');
    expect(posted).toHaveLength(1);
    expect(grants[0].data).toEqual({
      unlock_id: unlockId,
      app_id,
      key: 'jackpot',
      user_id: 'carol',
      transaction_id: (posted[0].data as { transaction_id: number }).transaction_id,
      amount: '250',
      currency: 'coins',
      granted_at: (posted[0].data as { created_at: string }).created_at,
    } satisfies RewardGranted);
    expect(posted[0].data).toMatchObject({ type: 'credit', app_id, debit_account: `house:${app_id}`, credit_account: 'user:carol' });
    expect(posted[0].metadata).toMatchObject({ command_id: `${app_id}:reward:${unlockId}`, app_id });
    const { rows } = await pool.query('SELECT position FROM coffer_achievements.reactor_checkpoint');
    const unlockEvent = (await eventsOfType('AchievementUnlocked'))[0];
    expect(BigInt(rows[0].position)).toBeGreaterThanOrEqual(unlockEvent.globalPosition);
  });

  it('holds a reward while the ledger is away and pays it once the ledger answers', async () => {
    const away = await startTheLedger();
    const app_id = await registerApp(); // the ledger pays rewards only for apps it knows
    await stop(away);
    await start();
    await registerAchievement(app_id, { key: 'patient', goal: 2, reward: { amount: '40', currency: 'coins' } });
    accepted(await client.command({ type: 'RecordProgress', data: { key: 'patient', user_id: 'dave', set: 2 } }, { app_id }));
    await new Promise((resolve) => setTimeout(resolve, 800)); // the reactor retries meanwhile
    expect(await store.readStream(rewardStream(unlockIdOf(app_id, 'patient', 'dave')))).toHaveLength(0);

    await startTheLedger();
    await eventually(() => store.readStream(rewardStream(unlockIdOf(app_id, 'patient', 'dave'))), (events) => events.length === 1);
    expect(await coins('dave')).toBe('40');
    expect(await eventsOfType('RewardGranted')).toHaveLength(1);
  });

  it('answers a retried command id with its first reply and refuses the key with another body, on any stream', async () => {
    await start();
    const app_id = 'app_1';
    await registerAchievement(app_id, { key: 'steps', goal: 10 });
    const send = (user_id: string, increment: number, requestHash: string) =>
      client.command({ type: 'RecordProgress', data: { key: 'steps', user_id, increment } }, { app_id }, { commandId: `${app_id}:k1`, requestHash });
    const first = accepted(await send('erin', 3, 'hash-a'));
    expect(first).toMatchObject({ replayed: false, result: { progress: 3 } });
    accepted(await client.command({ type: 'RecordProgress', data: { key: 'steps', user_id: 'erin', increment: 2 } }, { app_id }));

    const retry = accepted(await send('erin', 3, 'hash-a'));
    expect(retry).toEqual({ ...first, replayed: true });
    expect(await send('erin', 4, 'hash-b')).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    // Another user is another stream: the key is still bound to its first request.
    expect(await send('frank', 3, 'hash-c')).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    const events = await store.readStream(progressStream(app_id, 'steps', 'erin'));
    expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual([3, 5]);
    expect(events[0].metadata).toMatchObject({ command_id: `${app_id}:k1`, request_hash: 'hash-a', app_id, schema_version: 1 });

    // A refused command binds its key too, as the ledger's do: another request with it is a reuse.
    const missing = await client.command({ type: 'Unlock', data: { key: 'nope', user_id: 'erin' } }, { app_id }, { commandId: `${app_id}:k2`, requestHash: 'h1' });
    expect(missing).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const fixed = await client.command({ type: 'Unlock', data: { key: 'steps', user_id: 'erin' } }, { app_id }, { commandId: `${app_id}:k2`, requestHash: 'h2' });
    expect(fixed).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    const withNewKey = await client.command({ type: 'Unlock', data: { key: 'steps', user_id: 'erin' } }, { app_id }, { commandId: `${app_id}:k3`, requestHash: 'h2' });
    expect(accepted(withNewKey).result).toMatchObject({ progress: 10, unlocked: true });
  });

  it('records the refusal of a keyed command: its retry gets the same refusal, after the state changed and across a restart', async () => {
    const first = await start();
    const app_id = 'app_1';
    const unlock = { type: 'Unlock', data: { key: 'later', user_id: 'hana' } } as const;
    const keyed = { commandId: `${app_id}:unlock-later`, requestHash: 'hash-later' };
    const refused = await client.untilAnswered(() => client.command(unlock, { app_id }, keyed));
    expect(refused).toMatchObject({ ok: false, code: 'NOT_FOUND', message: 'achievement later does not exist' });
    const [record] = await store.readStream(progressStream(app_id, 'later', 'hana'));
    expect(record).toMatchObject({
      type: 'AchievementCommandRefused',
      data: { code: 'NOT_FOUND', message: 'achievement later does not exist' },
      metadata: { command_id: keyed.commandId, request_hash: keyed.requestHash, app_id },
    });

    // The achievement exists now: deciding the retry afresh would unlock it; the key's first answer stands.
    await registerAchievement(app_id, { key: 'later', goal: 1 });
    expect(await client.command(unlock, { app_id }, keyed)).toEqual(refused);
    await stop(first);
    await start();
    expect(await client.untilAnswered(() => client.command(unlock, { app_id }, keyed))).toEqual(refused);
    expect(await eventsOfType('AchievementUnlocked')).toHaveLength(0);

    // Without a key nothing is recorded (nobody asks again): the same request is decided afresh.
    accepted(await client.command(unlock, { app_id }));
    expect((await eventsOfType('AchievementCommandRefused')).map((event) => event.metadata?.command_id)).toEqual([keyed.commandId]);
  });

  it('answers a command without a key sent again (a captured copy replayed on NATS) with its first reply, never a second increment', async () => {
    await start();
    const app_id = 'app_1';
    await registerAchievement(app_id, { key: 'steps', goal: 3 });
    const captured = { type: 'RecordProgress', data: { key: 'steps', user_id: 'gus', increment: 2 } } as const;
    const first = accepted(await client.command(captured, { app_id }, { commandId: 'plain-1' }));
    const again = accepted(await client.command(captured, { app_id }, { commandId: 'plain-1' }));
    expect(again).toEqual({ ...first, replayed: true });
    const events = await store.readStream(progressStream(app_id, 'steps', 'gus'));
    expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual([2]); // not 3: no unlock, no reward
  });

  it('obeys only the gateway: a request signed by another service (achievements itself) is refused and changes nothing', async () => {
    await start();
    await registerAchievement('app_1', { key: 'steps', goal: 10 });
    const impostor = new AchievementsTestClient(prefix, 'achievements');
    try {
      const refused = await impostor.command({ type: 'RecordProgress', data: { key: 'steps', user_id: 'hal', increment: 1 } }, { app_id: 'app_1' });
      expect(refused).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await impostor.query({ type: 'GetAchievement', key: 'steps' }, { app_id: 'app_1' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    } finally {
      await impostor.close();
    }
    expect(await store.readStream(progressStream('app_1', 'steps', 'hal'))).toEqual([]);
  });

  it('refuses an app whose request carries scopes without achievements, before anything is reserved or written', async () => {
    await start();
    const narrowed = { app_id: 'app_7', app_scopes: ['finance:write' as const] };
    const refused = await client.command({ type: 'RegisterAchievement', data: { key: 'sneaky', name: 'Sneaky', description: null, icon_url: null, goal: 1, hidden: false, reward: { amount: '1000000', currency: 'coins' }, discord_role_id: null } }, narrowed);
    expect(refused).toMatchObject({ ok: false, code: 'FORBIDDEN', details: { scope: 'achievements' } });
    expect(await client.query({ type: 'GetAchievement', key: 'sneaky' }, narrowed)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await store.readStream(achievementStream('app_7', 'sneaky'))).toEqual([]);
    // A malformed scope list is a malformed request.
    expect(await client.query({ type: 'GetAchievement', key: 'sneaky' }, { app_id: 'app_7', app_scopes: ['everything' as never] })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
  });

  it('answers GetAchievement from the stream, and keeps achievements apart per app', async () => {
    await start();
    const registered = await registerAchievement('app_1', { key: 'shared_key', name: 'One', hidden: true });
    expect(registered).toMatchObject({ app_id: 'app_1', key: 'shared_key', name: 'One', hidden: true, goal: 1, reward: null });
    await registerAchievement('app_2', { key: 'shared_key', name: 'Two' });
    const updated = accepted(await client.command({ type: 'UpdateAchievement', data: { key: 'shared_key', changes: { name: 'Uno' } } }, { app_id: 'app_1' }));
    expect(updated.result).toMatchObject({ name: 'Uno', created_at: registered.created_at });
    expect(accepted(await client.query({ type: 'GetAchievement', key: 'shared_key' }, { app_id: 'app_1' }))).toMatchObject({ name: 'Uno' });
    expect(accepted(await client.query({ type: 'GetAchievement', key: 'shared_key' }, { app_id: 'app_2' }))).toMatchObject({ name: 'Two' });
    expect(await client.query({ type: 'GetAchievement', key: 'other' }, { app_id: 'app_1' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const again = await client.command(
      { type: 'RegisterAchievement', data: { key: 'shared_key', name: 'Two', description: null, icon_url: null, goal: 3, hidden: false, reward: null } },
      { app_id: 'app_2' },
    );
    expect(again).toMatchObject({ ok: false, code: 'CONFLICT', details: { key: 'shared_key' } });
  });

  describe('malformed requests are refused with 4xx codes, and change nothing', () => {
    const app = { app_id: 'app_1' };
    const good = { type: 'RecordProgress', data: { key: 'k', user_id: 'u', increment: 1 } };
    const goodWith = (fields: Record<string, unknown>) => ({ ...good, data: { ...good.data, ...fields } });
    const cases: Array<[string, () => Promise<unknown>, string]> = [];
    const command = (name: string, body: Record<string, unknown>, code = 'VALIDATION_FAILED', caller: { app_id: string | null } = app) =>
      cases.push([name, () => client.command(body, caller), code]);
    const meta = () => ({ correlation_id: 'c', command_id: 'x', app_id: 'app_1', key_id: null, deadline_epoch_ms: Date.now() + 10_000 });
    // Without meta there is no deadline: the door refuses it before the service parses it (an error reply).
    cases.push([
      'a message with no meta',
      () => client.raw({ body: { command: good, request_hash: null } }).catch((error: { reason?: string }) => ({ ok: false, code: error.reason })),
      'malformed_request',
    ]);
    cases.push(['a message with no body', () => client.raw({ meta: meta() }), 'VALIDATION_FAILED']);
    cases.push(['a body that is neither command nor query', () => client.raw({ meta: meta(), body: { nope: 1 } }), 'VALIDATION_FAILED']);
    command('an unknown command type', { type: 'DeleteAchievement', data: { key: 'k' } });
    // Commands are {type, data}: the envelope itself is attacked input too.
    command('a command without data', { type: 'RecordProgress', key: 'k', user_id: 'u', increment: 1 });
    command('a command whose data is null', { type: 'RecordProgress', data: null });
    command('a command whose data is an array', { type: 'RecordProgress', data: [{ key: 'k', user_id: 'u', increment: 1 }] });
    command('a command whose data is a string', { type: 'RecordProgress', data: 'k' });
    command('a key that is not a string', { type: 'RecordProgress', data: { key: ['k'], user_id: 'u', increment: 1 } });
    command('a key of 65 characters', goodWith({ key: 'k'.repeat(65) }));
    command('a key with a slash', goodWith({ key: 'a/b' }));
    command('a user id with a space', goodWith({ user_id: 'a b' }));
    command('a user id given as a number', goodWith({ user_id: 42 }));
    command('increment 0', goodWith({ increment: 0 }));
    command('both increment and set', goodWith({ set: 3 }));
    command('neither increment nor set', { type: 'RecordProgress', data: { key: 'k', user_id: 'u' } });
    command('a negative set', { type: 'RecordProgress', data: { key: 'k', user_id: 'u', set: -2 } });
    command('a registration without a name', { type: 'RegisterAchievement', data: { key: 'k', description: null, icon_url: null, goal: 1, hidden: false, reward: null } });
    command('a goal of 0', { type: 'RegisterAchievement', data: { key: 'k', name: 'n', description: null, icon_url: null, goal: 0, hidden: false, reward: null } });
    command('a file: icon URL', { type: 'RegisterAchievement', data: { key: 'k', name: 'n', description: null, icon_url: 'file:///etc/passwd', goal: 1, hidden: false, reward: null } });
    command('a reward of -5', { type: 'RegisterAchievement', data: { key: 'k', name: 'n', description: null, icon_url: null, goal: 1, hidden: false, reward: { amount: '-5', currency: 'coins' } } });
    command('an update of the goal', { type: 'UpdateAchievement', data: { key: 'k', changes: { goal: 9 } } });
    command('an admin (no app) reporting progress', good, 'FORBIDDEN', { app_id: null });
    command('progress on an achievement that does not exist', good, 'NOT_FOUND');

    it(`refuses all ${cases.length} of them`, async () => {
      await start();
      await client.untilAnswered(() => client.query({ type: 'GetAchievement', key: 'probe' }, app));
      expect(cases.length).toBeGreaterThanOrEqual(15);
      for (const [name, send, code] of cases) {
        const reply = (await send()) as { ok: boolean; code?: string };
        expect({ name, ok: reply.ok, code: reply.code }).toEqual({ name, ok: false, code });
      }
      // Malformed ones are refused at the door and leave nothing; the one decided (progress on an
      // achievement that does not exist) is on the record, for the audit trail, and changes nothing else.
      const left = (await readAllCommitted(store)).filter((event) => !event.type.startsWith('$'));
      expect(left.map((event) => [event.type, (event.data as { code?: string }).code])).toEqual([['AchievementCommandRefused', 'NOT_FOUND']]);
    });
  });

  describe('optimistic concurrency between writers', () => {
    /** A writer whose next append to a progress stream first lets `interfere` write that stream. */
    function racingWriter(interfere: () => Promise<unknown>, maxAttempts = DEFAULT_WRITER_OPTIONS.maxAttempts) {
      let armed = true;
      const racing = new Proxy(store, {
        get(target, property) {
          if (property === 'append') {
            return async (stream: string, ...rest: unknown[]) => {
              if (armed && stream.startsWith('progress-')) {
                armed = false;
                await interfere();
              }
              return (target.append as (...args: unknown[]) => unknown).call(target, stream, ...rest);
            };
          }
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return new AchievementsWriter(racing, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'), { ...DEFAULT_WRITER_OPTIONS, maxAttempts });
    }
    const meta = (command_id: string = randomUUID()) => ({ correlation_id: command_id, command_id, app_id: 'app_1', key_id: null, deadline_epoch_ms: Date.now() + 10_000 });
    const increment = (by: number) => ({ command: { type: 'RecordProgress' as const, data: { key: 'occ', user_id: 'hana', increment: by } }, request_hash: null });

    beforeEach(async () => {
      await ensureAchievementsSchema(pool);
      const setup = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'));
      accepted(
        await setup.command(
          { command: { type: 'RegisterAchievement', data: { key: 'occ', name: 'OCC', description: null, icon_url: null, goal: 100, hidden: false, reward: null } }, request_hash: null },
          meta(),
        ),
      );
    });

    it('re-reads and re-decides when another writer appended first, so no increment is lost', async () => {
      const other = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'));
      const writer = racingWriter(() => other.command(increment(5), meta()));
      const reply = accepted(await writer.command(increment(2), meta()));
      expect(writer.conflicts).toBe(1);
      expect(reply.result).toMatchObject({ progress: 7 }); // decided again on top of the other writer's 5
      const events = await store.readStream(progressStream('app_1', 'occ', 'hana'));
      expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual([5, 7]);
    });

    it('answers UNAVAILABLE when its attempts run out, and the retry with the same key applies once', async () => {
      const other = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'));
      const writer = racingWriter(() => other.command(increment(5), meta()), 1);
      const body = { ...increment(2), request_hash: 'same-body' };
      expect(await writer.command(body, meta('app_1:retry-me'))).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
      const retried = accepted(await writer.command(body, meta('app_1:retry-me')));
      expect(retried).toMatchObject({ replayed: false, result: { progress: 7 } });
      const replayed = accepted(await other.command(body, meta('app_1:retry-me')));
      expect(replayed).toEqual({ ...retried, replayed: true });
      const events = await store.readStream(progressStream('app_1', 'occ', 'hana'));
      expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual([5, 7]);
    });
  });

  describe('a command whose events the store cannot hold', () => {
    it('is refused alone with a 4xx, and the other commands of its batch are appended', async () => {
      await ensureAchievementsSchema(pool);
      const lines: Array<Record<string, unknown>> = [];
      const writer = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'info', (line) => lines.push(JSON.parse(line))));
      const meta = (correlation_id: string = randomUUID()) => ({ correlation_id, command_id: randomUUID(), app_id: 'app_1', key_id: null, deadline_epoch_ms: Date.now() + 10_000 });
      const increment = (by: number) => ({ command: { type: 'RecordProgress' as const, data: { key: 'steps', user_id: 'ivan', increment: by } }, request_hash: null });
      accepted(
        await writer.command(
          { command: { type: 'RegisterAchievement', data: { key: 'steps', name: 'Steps', description: null, icon_url: null, goal: 100, hidden: false, reward: null } }, request_hash: null },
          meta(),
        ),
      );
      // The first opens the stream's lane; the next two queue behind it and are decided as one batch.
      // Decide checks every field of a command: the poison is in the correlation id, which only the
      // event metadata carries (the NATS controller refuses it; a caller inside the process gets here).
      const [first, poisoned, good] = await Promise.all([
        writer.command(increment(1), meta()),
        writer.command(increment(2), meta('corr\u0000elation')),
        writer.command(increment(3), meta()),
      ]);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'the store refused a batch for its content: appending its commands one at a time', commands: 2 }));
      expect(accepted(first).result).toMatchObject({ progress: 1 });
      expect(poisoned).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: 'the event store cannot hold what this command would record' });
      expect(accepted(good).result).toMatchObject({ progress: 4 });
      const events = await store.readStream(progressStream('app_1', 'steps', 'ivan'));
      expect(events.map((event) => (event.data as { progress: number }).progress)).toEqual([1, 4]);
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);

      // With an Idempotency-Key the refusal is recorded, without the poison: its retry gets it again without trying the store.
      const keyed = { ...meta('corr\u0000elation'), command_id: 'app_1:poisoned' };
      const keyedIncrement = { ...increment(5), request_hash: 'hash-poisoned' };
      const refused = await writer.command(keyedIncrement, keyed);
      expect(refused).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: 'the event store cannot hold what this command would record' });
      const record = (await store.readStream(progressStream('app_1', 'steps', 'ivan'))).at(-1);
      expect(record).toMatchObject({
        type: 'AchievementCommandRefused',
        data: { code: 'VALIDATION_FAILED' },
        metadata: { command_id: 'app_1:poisoned', request_hash: 'hash-poisoned', correlation_id: 'app_1:poisoned' },
      });
      expect(await writer.command(keyedIncrement, keyed)).toEqual(refused);
      expect((await store.readStream(progressStream('app_1', 'steps', 'ivan'))).map((event) => event.type).filter((type) => type === 'AchievementCommandRefused')).toHaveLength(1);
    });
  });

  describe('the reward reactor, crashed at the worst moments', () => {
    /** Unlocks with the writer itself (no service, so no other reactor), as app_1. */
    async function unlockWithReward(user_id: string): Promise<AchievementUnlocked> {
      await ensureAchievementsSchema(pool);
      const writer = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'), DEFAULT_WRITER_OPTIONS);
      const meta = (id: string) => ({ correlation_id: id, command_id: id, app_id: 'app_1', key_id: null, deadline_epoch_ms: Date.now() + 10_000 });
      accepted(
        await writer.command(
          {
            command: { type: 'RegisterAchievement', data: { key: 'gold', name: 'Gold', description: null, icon_url: null, goal: 1, hidden: false, reward: { amount: '99', currency: 'coins' } } },
            request_hash: null,
          },
          meta(randomUUID()),
        ),
      );
      accepted(await writer.command({ command: { type: 'Unlock', data: { key: 'gold', user_id } }, request_hash: null }, meta(randomUUID())));
      return (await eventsOfType('AchievementUnlocked'))[0].data as AchievementUnlocked;
    }

    it('pays once when it dies after the ledger posted the credit but before RewardGranted', async () => {
      const { RewardReactor } = await import('../src/rewards/reward-reactor');
      const { LedgerRewardPayer } = await import('../src/rewards/ledger-payer');
      const { ScopedNatsClient, ServiceKeyring } = await import('@coffer/platform');
      const { testNatsUrl, testServiceKeys } = await import('@coffer/testing');
      await startTheLedger();
      expect(await registerApp()).toBe('app_1'); // whose achievement unlockWithReward unlocks
      const unlock = await unlockWithReward('gina');
      const keys = new ServiceKeyring(testServiceKeys());
      const nats = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm: 'default' }, { sender: 'achievements', keys });
      const payer = new LedgerRewardPayer(nats, 2000);
      const logger = new JsonLogger('reactor', 'error');
      const options = { batchSize: 10, retryMs: 20, maxRetryMs: 100, withheldPollMs: 50, withheldBatchSize: 10 };
      try {
        // 1. Pays for real, then hangs as if the process froze before recording: then it is stopped.
        let paid!: () => void;
        const paidOnce = new Promise<void>((resolve) => (paid = resolve));
        const dying = new RewardReactor(store, pool, {
          pay: async (u, c) => {
            const payment = await payer.pay(u, c);
            expect(payment).toMatchObject({ kind: 'paid', replayed: false });
            paid();
            return new Promise(() => undefined);
          },
        }, logger, options);
        dying.start();
        await paidOnce;
        await dying.stop();
        expect(await coins('gina')).toBe('99');
        expect(await store.readStream(rewardStream(unlock.unlock_id))).toHaveLength(0);

        // 2. Its successor loses the ledger's first answer (a timeout) and sends again.
        const payments: string[] = [];
        let lostOne = false;
        const successor = new RewardReactor(store, pool, {
          pay: async (u, c) => {
            const payment = await payer.pay(u, c);
            payments.push(`${payment.kind}${payment.kind === 'paid' && payment.replayed ? ' (replayed)' : ''}`);
            if (!lostOne) {
              lostOne = true;
              return { kind: 'retry', reason: 'timed out' };
            }
            return payment;
          },
        }, logger, options);
        successor.start();
        await eventually(() => store.readStream(rewardStream(unlock.unlock_id)), (events) => events.length === 1);
        await successor.stop();
        expect(payments).toEqual(['paid (replayed)', 'paid (replayed)']);
        expect(successor.granted).toBe(1);

        // 3. A third one, started from a checkpoint before the unlock, finds it granted and pays nothing.
        await pool.query('DELETE FROM coffer_achievements.reactor_checkpoint');
        let calls = 0;
        const third = new RewardReactor(store, pool, { pay: async () => ((calls += 1), { kind: 'retry', reason: 'unused' }) }, logger, options);
        third.start();
        await eventually(() => pool.query('SELECT position FROM coffer_achievements.reactor_checkpoint'), (result) => result.rowCount === 1);
        await third.stop();
        expect(calls).toBe(0);
        expect(await coins('gina')).toBe('99');
        expect(await eventsOfType('RewardGranted')).toHaveLength(1);
        expect((await store.readStream(rewardStream(unlock.unlock_id)))[0].data).toMatchObject({ unlock_id: unlock.unlock_id, amount: '99' });
      } finally {
        await nats.close();
      }
    });
  });

  describe('a reward the ledger refuses', () => {
    it("is withheld, not lost: recorded, held for the next UTC day, then paid once the app's mint limit allows it", async () => {
      const { RewardReactor } = await import('../src/rewards/reward-reactor');
      const { LedgerRewardPayer } = await import('../src/rewards/ledger-payer');
      const { ScopedNatsClient, ServiceKeyring } = await import('@coffer/platform');
      const { testNatsUrl, testServiceKeys } = await import('@coffer/testing');
      await startTheLedger();
      await ensureAchievementsSchema(pool);
      const app_id = await registerApp();
      const limit = async (coinsPerDay: string) =>
        ok(await ledger.command({ type: 'ChangeAppSettings', data: { app_id, mint_limit_per_day: { coins: coinsPerDay } } }));
      await limit('100');
      // Three unlocks of the same app: 60 fits, 70 more would not (the limit counts rewards too), 30 still fits after it.
      const writer = new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'), DEFAULT_WRITER_OPTIONS);
      const meta = () => ({ correlation_id: randomUUID(), command_id: randomUUID(), app_id, key_id: null, deadline_epoch_ms: Date.now() + 10_000 });
      for (const [key, amount] of [['bronze', '60'], ['silver', '70'], ['tin', '30']]) {
        accepted(
          await writer.command(
            { command: { type: 'RegisterAchievement', data: { key, name: key, description: null, icon_url: null, goal: 1, hidden: false, reward: { amount, currency: 'coins' } } }, request_hash: null },
            meta(),
          ),
        );
        accepted(await writer.command({ command: { type: 'Unlock', data: { key, user_id: 'hana' } }, request_hash: null }, meta()));
      }
      const silver = (await eventsOfType('AchievementUnlocked')).map((event) => event.data as AchievementUnlocked).find((unlock) => unlock.key === 'silver')!;

      const keys = new ServiceKeyring(testServiceKeys());
      const nats = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm: 'default' }, { sender: 'achievements', keys });
      const payer = new LedgerRewardPayer(nats, 2000);
      const attempts: number[] = [];
      let clock = new Date();
      const options = { batchSize: 10, retryMs: 20, maxRetryMs: 100, withheldPollMs: 50, withheldBatchSize: 10, now: () => clock };
      const start = (pay = (u: AchievementUnlocked, c: string, attempt: number) => payer.pay(u, c, attempt)) => {
        const reactor = new RewardReactor(store, pool, { pay: (u, c, attempt) => (u.key === 'silver' && attempts.push(attempt), pay(u, c, attempt)) }, new JsonLogger('reactor', 'error'), options);
        reactor.start();
        return reactor;
      };
      const held = async () => (await pool.query('SELECT unlock_id, attempt, retry_at FROM coffer_achievements.withheld_rewards')).rows;
      try {
        let reactor = start();
        await eventually(() => eventsOfType('RewardGranted'), (events) => events.length === 2);
        const [withheld] = await eventually(() => eventsOfType('RewardWithheld'), (events) => events.length === 1);
        const nextDay = new Date(Date.UTC(clock.getUTCFullYear(), clock.getUTCMonth(), clock.getUTCDate() + 1));
        expect(withheld.data).toEqual({
          unlock_id: silver.unlock_id,
          app_id,
          key: 'silver',
          user_id: 'hana',
          amount: '70',
          currency: 'coins',
          attempt: 1,
          code: 'LIMIT_EXCEEDED',
          message: expect.stringContaining('daily mint limit'),
          withheld_at: clock.toISOString(),
          retry_at: nextDay.toISOString(),
        });
        expect(await coins('hana')).toBe('90'); // 60 + 30: the later reward was not held behind it
        await eventually(held, (rows) => rows.length === 1);
        expect(await held()).toEqual([{ unlock_id: silver.unlock_id, attempt: 2, retry_at: nextDay }]);

        // Not due yet: a pass later, nothing was sent again.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(attempts).toEqual([1]);
        await reactor.stop();

        // The next day, still beyond the limit (the ledger's day has not changed; the limit has not
        // either): attempt 2 is refused too, recorded, and held for the day after.
        clock = new Date(nextDay.getTime() + 1000);
        reactor = start();
        await eventually(() => eventsOfType('RewardWithheld'), (events) => events.length === 2);
        expect(attempts).toEqual([1, 2]);
        await reactor.stop();

        // The admin raises the limit. The day after, attempt 3 dies after the ledger paid it and
        // before RewardGranted: its successor sends attempt 3 again and records the first payment.
        await limit('1000');
        clock = new Date(nextDay.getTime() + 86_400_000 + 1000);
        let paid!: () => void;
        const paidOnce = new Promise<void>((resolve) => (paid = resolve));
        const dying = start(async (u, c, attempt) => {
          const payment = await payer.pay(u, c, attempt);
          if (u.key === 'silver') {
            paid();
            return new Promise(() => undefined);
          }
          return payment;
        });
        await paidOnce;
        await dying.stop();
        expect(await coins('hana')).toBe('160');
        reactor = start();
        await eventually(() => eventsOfType('RewardGranted'), (events) => events.length === 3);
        await eventually(held, (rows) => rows.length === 0);
        await reactor.stop();
        expect(attempts).toEqual([1, 2, 3, 3]);
        expect(await coins('hana')).toBe('160');
        const stream = await store.readStream(rewardStream(silver.unlock_id));
        expect(stream.map((event) => [event.type, event.metadata?.command_id])).toEqual([
          ['RewardWithheld', `${app_id}:reward:${silver.unlock_id}`],
          ['RewardWithheld', `${app_id}:reward:${silver.unlock_id}:attempt-2`],
          ['RewardGranted', `${app_id}:reward:${silver.unlock_id}:attempt-3`],
        ]);
      } finally {
        await nats.close();
      }
    });
  });

  describe('limits of the writer', () => {
    const writer = (options: Partial<typeof DEFAULT_WRITER_OPTIONS> = {}) =>
      new AchievementsWriter(store, new CommandClaims(pool), new AchievementQuota(pool), new JsonLogger('test', 'error'), {
        ...DEFAULT_WRITER_OPTIONS,
        ...options,
      });
    const meta = (app_id = 'app_1', deadline_epoch_ms = Date.now() + 10_000, command_id: string = randomUUID()) => ({
      correlation_id: command_id,
      command_id,
      app_id,
      key_id: null,
      deadline_epoch_ms,
    });
    const definition = (key: string) => ({
      command: { type: 'RegisterAchievement' as const, data: { key, name: key, description: null, icon_url: null, goal: 100, hidden: false, reward: null } },
      request_hash: null,
    });
    const increment = (by: number) => ({ command: { type: 'RecordProgress' as const, data: { key: 'lim', user_id: 'ivy', increment: by } }, request_hash: null });
    /** Holds the event store's table, so the writer's reads and appends wait (a slow or stuck store). */
    const blockTheStore = async () => {
      const holder = database.pool();
      const client = await holder.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE coffer_es.events IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await client.query('ROLLBACK');
        client.release();
        await holder.end();
      };
    };
    const progressOf = async () =>
      (await store.readStream(progressStream('app_1', 'lim', 'ivy'))).map((event) => (event.data as { progress: number }).progress);

    beforeEach(async () => {
      await ensureAchievementsSchema(pool);
      accepted(await writer().command(definition('lim'), meta()));
    });

    it('drops a queued command whose deadline passed while the store was stuck: its caller was told 503', async () => {
      const lanes = writer();
      const unblock = await blockTheStore();
      const inFlight = lanes.command(increment(1), meta());
      const late = lanes.command(increment(10), meta('app_1', Date.now() + 300));
      const patient = lanes.command(increment(20), meta());
      await new Promise((resolve) => setTimeout(resolve, 600));
      await unblock();
      expect(await inFlight).toMatchObject({ ok: true });
      expect(await late).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
      expect(await patient).toMatchObject({ ok: true });
      expect(await progressOf()).toEqual([1, 21]);
    });

    it('drops a command whose deadline passes while its own batch loads: the deadline is asked after the load', async () => {
      const lanes = writer(); // a fresh writer: the definition and the progress are read from the store
      const unblock = await blockTheStore();
      const late = lanes.command(increment(10), meta('app_1', Date.now() + 300));
      await new Promise((resolve) => setTimeout(resolve, 600));
      await unblock();
      expect(await late).toMatchObject({ ok: false, code: 'UNAVAILABLE', message: expect.stringContaining('past its deadline') });
      expect(await progressOf()).toEqual([]);
    });

    it('refuses a deadline further ahead than MAX_DEADLINE_AHEAD_MS and takes one exactly that far', async () => {
      const now = Date.now();
      const fixed = writer({ clock: () => new Date(now) });
      expect(await fixed.command(increment(1), meta('app_1', now + MAX_DEADLINE_AHEAD_MS))).toMatchObject({ ok: true });
      expect(await fixed.command(increment(1), meta('app_1', now + MAX_DEADLINE_AHEAD_MS + 1))).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
      expect(await fixed.command(increment(1), meta('app_1', now))).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
      expect(await progressOf()).toEqual([1]);
    });

    it('holds at most maxQueued commands in its lanes, and refuses one more at once with a retry hint', async () => {
      const lanes = writer({ maxQueued: 2 });
      const unblock = await blockTheStore();
      const inFlight = lanes.command(increment(1), meta());
      const queued = [lanes.command(increment(2), meta()), lanes.command(increment(3), meta())];
      expect(await lanes.command(increment(1000), meta())).toEqual({
        ok: false,
        code: 'UNAVAILABLE',
        message: expect.stringContaining('too much work queued'),
        details: { retry_after_seconds: QUEUE_FULL_RETRY_AFTER_SECONDS, max_queued: 2 },
      });
      await unblock();
      for (const reply of [await inFlight, ...(await Promise.all(queued))]) expect(reply).toMatchObject({ ok: true });
      expect((await progressOf()).at(-1)).toBe(6);
    });

    it(`lets an app define ${MAX_ACHIEVEMENTS_PER_APP} achievements and refuses one more, while the ones it has register again`, async () => {
      const quota = writer();
      // 'lim' (beforeEach) is the first; register the rest, a few at a time.
      for (let from = 1; from < MAX_ACHIEVEMENTS_PER_APP; from += 50) {
        const keys = Array.from({ length: Math.min(50, MAX_ACHIEVEMENTS_PER_APP - from) }, (_, i) => `k${from + i}`);
        for (const reply of await Promise.all(keys.map((key) => quota.command(definition(key), meta())))) accepted(reply);
      }
      const refused = await quota.command(definition('one-too-many'), meta());
      expect(refused).toMatchObject({
        ok: false,
        code: 'LIMIT_EXCEEDED',
        details: { limit: 'achievements_per_app', maximum: MAX_ACHIEVEMENTS_PER_APP },
      });
      expect(await store.readStream(achievementStream('app_1', 'one-too-many'))).toEqual([]);
      accepted(await quota.command(definition('k999'), meta())); // registered at every start: still fine
      accepted(await quota.command(definition('one-too-many'), meta('app_2'))); // another app has its own places
    });

    it('gives a definition registered before places were kept a place when it is registered again, even with none left', async () => {
      const quota = writer();
      await pool.query(
        `INSERT INTO coffer_achievements.definitions (app_id, key) SELECT 'app_1', 'filler-' || n FROM generate_series(1, $1) n`,
        [MAX_ACHIEVEMENTS_PER_APP],
      );
      await pool.query(`DELETE FROM coffer_achievements.definitions WHERE key = 'lim'`); // as if 'lim' predated places
      accepted(await quota.command(definition('lim'), meta()));
      const { rowCount } = await pool.query(`SELECT 1 FROM coffer_achievements.definitions WHERE app_id = 'app_1' AND key = 'lim'`);
      expect(rowCount).toBe(1);
      expect(await quota.command(definition('new-one'), meta())).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    });

    it('prunes idempotency bindings older than the window, and only those', async () => {
      const claims = new CommandClaims(pool);
      const WINDOW_MS = 72 * 3_600_000;
      expect(await claims.claim('app_1:old', 'h1')).toBe('new');
      expect(await claims.claim('app_1:recent', 'h2')).toBe('new');
      await pool.query(`UPDATE coffer_achievements.commands SET claimed_at = now() - interval '72 hours' - interval '1 second' WHERE command_id = 'app_1:old'`);
      await pool.query(`UPDATE coffer_achievements.commands SET claimed_at = now() - interval '72 hours' + interval '1 minute' WHERE command_id = 'app_1:recent'`);
      expect(await claims.prune(WINDOW_MS)).toBe(1);
      expect(await claims.claim('app_1:old', 'another-body')).toBe('new'); // forgotten: a new command
      expect(await claims.claim('app_1:recent', 'another-body')).toBe('reused');
    });
  });
});
