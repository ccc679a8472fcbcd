/**
 * Two realms side by side, through one gateway and one projector (the BUILT services as child
 * processes, real PostgreSQL and NATS): realm `blue` has a pair of ledgers (active and standby),
 * the default realm one ledger of its own. Money moves in both under a steady load; blue's active
 * writer is killed (SIGKILL) and its standby takes over, while the default realm's requests keep
 * succeeding with no error and no pause beyond normal, and its writer never changes term.
 * Balances stay right in both, from the ledgers and from the read models, and an app of one realm
 * can neither see nor move the other realm's users: a user id names an account inside one realm,
 * so a transfer never crosses realms.
 */
import { PostgresEventStore } from '@coffer/event-store';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { LEADING_MESSAGE } from '../../../tools/ledger-roles';
import { Generations } from '../../projector/src/read-models/generations';
import { verify } from '../../projector/src/read-models/rebuild-verify-status';
import { ApiClient } from './api-client';
import { sleep } from './http-client';
import { assertBuilt, BuiltServices, type Service } from './processes';
import { SteadyLoad } from './steady-load';

jest.setTimeout(180000);

const ADMIN_TOKEN = 'realms-admin-token-0123456789ab';
const REQUEST_TIMEOUT_MS = 5000;
const WORKERS = 3;
const BLUE = { COFFER_REALM: 'blue' };
/**
 * The longest a default-realm request may take while blue fails over. A realm that waited on the
 * other's takeover would wait about a second (the lease) or its 5 s timeout; a normal answer on
 * this shared 2-core machine, with both loads, a projector and three ledgers running, is tens of
 * milliseconds, and a second is well clear of both.
 */
const NO_PAUSE_BOUND_MS = 1000;

/** Credits of 1 coin to one user through one app, each with a key of its own, by WORKERS clients that retry a failure with the same key. */
const credits = (client: ApiClient, user: string, label: string) =>
  new SteadyLoad((key) => client.postTransaction({ user_id: user, type: 'credit', amount: 1 }, { idempotencyKey: key }).then((answer) => answer.status), label, WORKERS);

describe('two realms side by side, one failing over (built services as processes)', () => {
  let database: TestDatabase;
  let services: BuiltServices | undefined;
  let blueLedgers: Service[] = [];
  let defaultLedger: Service;
  let blue: ApiClient;
  let home: ApiClient;
  let admin: ApiClient;

  const leadingSince = (ledger: Service, after: number) =>
    ledger.records().find((record) => record.msg === LEADING_MESSAGE && Date.parse(record.time) >= after);
  const posted = (answer: { status: number; reply: unknown }) => {
    expect(answer.status).toBe(200);
    const lines = (answer.reply as { balances: Array<{ currency: string; posted: string }> }).balances;
    return lines.find((line) => line.currency === 'coins')?.posted ?? '0';
  };

  let natsPrefix: string | undefined;

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway', 'projector');
    database = await createTestDatabase('gateway_realms');
    natsPrefix = testNatsPrefix('gateway_realms');
    const s = await BuiltServices.on({
      databaseUrl: database.url,
      natsUrl: testNatsUrl(),
      natsPrefix,
      adminToken: ADMIN_TOKEN,
      extra: { COFFER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), COFFER_REALMS: 'default,blue' },
    });
    services = s;
    const blueA = s.startLedger('blue-a', BLUE);
    defaultLedger = s.startLedger('default-a');
    await s.waitFor('a writer in each realm', () => blueA.leading && defaultLedger.leading);
    s.start('gateway');
    s.start('projector');
    await s.waitFor('GET /ready 200', async () => (await ApiClient.http(s.base).ready()).status === 200);
    admin = ApiClient.http(s.base, ADMIN_TOKEN);

    const blueApp = await admin.createApp({ name: 'Blue game', realm: 'blue' }, { idempotencyKey: 'realms-blue-app' });
    const homeApp = await admin.createApp({ name: 'Home game' }, { idempotencyKey: 'realms-home-app' });
    expect([blueApp.status, homeApp.status]).toEqual([201, 201]);
    // Each realm's ledger numbers its own apps; outside the default realm the id names the realm.
    expect(blueApp.reply).toMatchObject({ app_id: 'app_1_blue', realm: 'blue' });
    expect(homeApp.reply).toMatchObject({ app_id: 'app_1', realm: 'default' });
    blue = ApiClient.http(s.base, String(blueApp.reply.api_key));
    home = ApiClient.http(s.base, String(homeApp.reply.api_key));
    blueLedgers = [blueA, await s.startStandby('blue-b', BLUE)];
  });

  afterAll(async () => {
    await services?.stop();
    await database?.drop();
    // The projector's feed made the analytics stream: a test leaves no stream behind.
    if (natsPrefix) await dropTestStreams(natsPrefix).catch(() => undefined);
  });

  it("fails blue's writer over while the default realm's requests keep succeeding, and keeps both realms' money apart", async () => {
    const s = services!;
    const [killed, standby] = blueLedgers;
    // The same user id in both realms: two accounts, one in each.
    const blueLoad = credits(blue, 'shared', 'blue');
    const homeLoad = credits(home, 'shared', 'home');
    await s.waitFor('writes in both realms', () => blueLoad.acknowledged >= 30 && homeLoad.acknowledged >= 30, 30000);

    const faultAt = Date.now();
    await killed.kill();
    await s.waitFor('blue-b to lead', () => leadingSince(standby, faultAt) !== undefined, 15000);
    const takeoverAt = Date.parse(leadingSince(standby, faultAt)!.time);
    await s.waitFor('writes through blue-b', () => blueLoad.attempts.some((a) => a.sentAt > takeoverAt && a.status === 201), 15000);
    const blueResumedAt = Date.now();
    await sleep(500);
    await Promise.all([blueLoad.stop(), homeLoad.stop()]);

    // The default realm, while blue had no writer and while its standby took over: every answer a
    // success, none slow, and writes acknowledged in the very gap blue could not write.
    const during = homeLoad.within(faultAt, blueResumedAt);
    const measured = {
      blue_takeover_after_fault_ms: takeoverAt - faultAt,
      home_requests_during_failover: during.length,
      home_failures_during_failover: during.filter((a) => a.status !== 201).length,
      home_slowest_during_failover_ms: Math.max(...during.map((a) => a.answeredAt - a.sentAt)),
      home_writes_while_blue_had_no_writer: during.filter((a) => a.status === 201 && a.answeredAt < takeoverAt).length,
      blue_failures: blueLoad.attempts.filter((a) => a.status !== 201).length,
    };
    process.stdout.write(`realms failover measurement: ${JSON.stringify(measured)}\n`);
    expect(homeLoad.attempts.filter((a) => a.status !== 201)).toEqual([]);
    expect(measured.home_slowest_during_failover_ms).toBeLessThan(NO_PAUSE_BOUND_MS);
    expect(measured.home_writes_while_blue_had_no_writer).toBeGreaterThan(0);
    // The default realm's writer never noticed: it leads in the term it started with.
    expect(defaultLedger.leading).toBe(true);
    expect(defaultLedger.messages().filter((msg) => msg === LEADING_MESSAGE)).toHaveLength(1);

    // Every acknowledged credit once, in its own realm (the ledgers' own state).
    expect(posted(await blue.balance('shared', { consistency: 'strong' }))).toBe(String(blueLoad.acknowledged));
    expect(posted(await home.balance('shared', { consistency: 'strong' }))).toBe(String(homeLoad.acknowledged));
    expect(blueLoad.acknowledged).not.toBe(homeLoad.acknowledged); // else equal balances would prove nothing

    // The read models agree, each app reading its own realm's account of the same user id.
    await s.waitFor('the read models to catch up', async () => {
      const [b, h] = await Promise.all([blue.balance('shared'), home.balance('shared')]);
      return posted(b) === String(blueLoad.acknowledged) && posted(h) === String(homeLoad.acknowledged);
    });
  });

  it("lets an app neither see nor move another realm's users: a transfer never crosses realms", async () => {
    const s = services!;
    const funded = await blue.postTransaction({ user_id: 'blue-only', type: 'credit', amount: 40 }, { idempotencyKey: 'realms-blue-only' });
    expect(funded.status).toBe(201);
    // A user with money in blue has none in the default realm: the default realm's app sees zero
    // and cannot spend it.
    expect(posted(await home.balance('blue-only', { consistency: 'strong' }))).toBe('0');
    const spend = await home.transfer({ from_user_id: 'blue-only', to_user_id: 'shared', amount: 1 }, { idempotencyKey: 'realms-cross-spend' });
    expect(spend.status).toBe(422);
    expect(spend.error.code).toBe('INSUFFICIENT_FUNDS');
    const debit = await home.postTransaction({ user_id: 'blue-only', type: 'debit', amount: 1 }, { idempotencyKey: 'realms-cross-debit' });
    expect([debit.status, debit.error.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);

    // A transfer to the same user id moves money inside the sender's realm only.
    const blueBefore = posted(await blue.balance('blue-only', { consistency: 'strong' }));
    const sent = await home.transfer({ from_user_id: 'shared', to_user_id: 'blue-only', amount: 3 }, { idempotencyKey: 'realms-home-transfer' });
    expect(sent.status).toBe(201);
    expect(posted(await home.balance('blue-only', { consistency: 'strong' }))).toBe('3');
    expect(posted(await blue.balance('blue-only', { consistency: 'strong' }))).toBe(blueBefore);

    // Nor do the read models show one realm's users to the other's app.
    await s.waitFor('the read models to catch up', async () => posted(await home.balance('blue-only')) === '3' && posted(await blue.balance('blue-only')) === '40');
    const homeSees = await home.transactions({ user_id: 'blue-only' });
    expect(homeSees.status).toBe(200);
    expect(homeSees.reply.data.map((row) => [row.type, row.amount])).toEqual([['transfer', '3']]);
    const blueSees = await blue.transactions({ user_id: 'blue-only' });
    expect(blueSees.reply.data.map((row) => [row.type, row.amount])).toEqual([['credit', '40']]);
    const leaders = await home.balanceLeaderboard();
    expect(leaders.reply.data.map((row) => row.user_id).sort()).toEqual(['blue-only', 'shared']);
    expect(leaders.reply.data.find((row) => row.user_id === 'blue-only')?.value).toBe('3');
  });

  it("registers each app by its realm's ledger, lists apps by realm, and verify finds both realms' books right", async () => {
    const store = await PostgresEventStore.connect({ connectionString: database.url });
    const pool = database.pool();
    try {
      const registered = async (stream: string) =>
        (await store.readStream(stream)).filter((event) => event.type === 'AppRegistered').map((event) => (event.data as { app_id: string }).app_id);
      expect(await registered('ledger-blue')).toEqual(['app_1_blue']);
      expect(await registered('ledger-default')).toEqual(['app_1']);

      const listed = async (realm?: string) => (await admin.apps(realm === undefined ? undefined : { realm })).reply.data.map((app) => [app.app_id, app.realm]);
      expect(await listed('blue')).toEqual([['app_1_blue', 'blue']]);
      expect(await listed()).toEqual([['app_1', 'default']]);
      const bad = await admin.createApp({ name: 'Nowhere', realm: 'Not_A_Realm' }, { idempotencyKey: 'realms-bad-realm' });
      expect(bad.status).toBe(400);
      expect(bad.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: { realm: [expect.stringContaining('realm must be')] } } });
      // The limits of a realm id, at their edges: 32 characters and a leading digit pass validation (and find no writer).
      const longest = await admin.createApp({ name: 'Edge', realm: `9${'a'.repeat(31)}` }, { idempotencyKey: 'realms-edge-32' });
      expect(longest.status).toBe(503);
      const tooLong = await admin.createApp({ name: 'Edge', realm: 'a'.repeat(33) }, { idempotencyKey: 'realms-edge-33' });
      expect([tooLong.status, tooLong.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      const leadingDash = await admin.createApp({ name: 'Edge', realm: '-blue' }, { idempotencyKey: 'realms-edge-dash' });
      expect(leadingDash.status).toBe(400);
      // A realm nobody writes for: 503 as a missing writer always was, and nothing registered.
      const orphan = await admin.createApp({ name: 'Orphan', realm: 'green' }, { idempotencyKey: 'realms-green' });
      expect(orphan.status).toBe(503);
      expect(orphan.error.code).toBe('UNAVAILABLE');

      const report = await verify(store, new Generations(pool));
      expect(report.ok).toBe(true);
      const realms = await pool.query(`SELECT realm, count(*)::int AS accounts FROM coffer_read.accounts GROUP BY realm ORDER BY realm`);
      expect(realms.rows.map((row) => row.realm)).toEqual(['blue', 'default']);
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
