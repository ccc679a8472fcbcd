/**
 * A frozen (SIGSTOP) and then a killed (SIGKILL) active ledger, under a steady load of grants
 * through a real gateway: the BUILT services run as child processes (two ledgers, a gateway).
 * The standby takes the writer lease within about a second of the active writer's last renewal,
 * catches up from the stream it followed, and announces itself; the gateway resends what was in
 * flight to it (same command id), so no request waits out its 5 s timeout and none gets a 503.
 * The frozen ledger, continued, decides nothing more and goes back to standby.
 */
import { createTestDatabase, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { LEADING_MESSAGE, LOST_ROLE_MESSAGE, STANDBY_MESSAGE } from '../../../tools/ledger-roles';
import { ApiClient } from './api-client';
import { sleep } from './http-client';
import { assertBuilt, BuiltServices, type Service } from './processes';
import { SteadyLoad } from './steady-load';

jest.setTimeout(120000);

const ADMIN_TOKEN = 'failover-admin-token-0123456789';
const REQUEST_TIMEOUT_MS = 5000;
const WORKERS = 4;
/** A takeover is about one lease (1 s) after the last renewal; the request timeout is 5 s. */
const TAKEOVER_BOUND_MS = 2000;
/** Writes resume (every request in flight at the fault is answered) well before the request timeout. */
const RESUME_BOUND_MS = 2500;

/** Grants of 1 coin to one user by the admin, each with a key of its own, by WORKERS clients that retry a failure with the same key. */
const grants = (base: string, user: string, label: string) =>
  new SteadyLoad((key) => ApiClient.http(base, ADMIN_TOKEN).grant({ user_id: user, amount: 1 }, { idempotencyKey: key }).then((answer) => answer.status), label, WORKERS);

describe('a frozen, then a killed, active ledger under load (built services as processes)', () => {
  let database: TestDatabase;
  let services: BuiltServices | undefined;
  let apiKey: string;

  const leadingSince = (ledger: Service, after: number): Record<string, any> | undefined =>
    ledger.records().find((record) => record.msg === LEADING_MESSAGE && Date.parse(record.time) >= after);
  const resent = async () => {
    const metrics = await ApiClient.http(services!.base).metrics();
    return Number(/^coffer_ledger_requests_resent_total (\d+)$/m.exec(metrics.text)?.[1]);
  };
  const balanceOf = (user: string) => ApiClient.http(services!.base, apiKey).balance(user, { consistency: 'strong' });

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway');
    database = await createTestDatabase('gateway_failover');
    services = await BuiltServices.on({
      databaseUrl: database.url,
      natsUrl: testNatsUrl(),
      natsPrefix: testNatsPrefix('gateway_failover'),
      adminToken: ADMIN_TOKEN,
      extra: { COFFER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    });
    await services.startLeading('gateway');
    const app = await ApiClient.http(services.base, ADMIN_TOKEN).createApp({ name: 'Failover' }, { idempotencyKey: 'failover-app' });
    expect(app.status).toBe(201);
    apiKey = String(app.reply.api_key);
    await services.startStandby('ledger-b');
  });

  afterAll(async () => {
    await services?.stop();
    await database?.drop();
  });

  it('replaces a frozen writer within about a second, resends what was in flight, and fences the frozen one when it wakes', async () => {
    const s = services!;
    const [frozen, standby] = s.ledgers;
    const load = grants(s.base, 'frozen-user', 'freeze');
    await s.waitFor('some grants', () => load.acknowledged >= 20, 20000);
    const resentBefore = await resent();

    const faultAt = Date.now();
    frozen.freeze();
    await s.waitFor('ledger-b to lead', () => leadingSince(standby, faultAt) !== undefined, 10000);
    const takeover = leadingSince(standby, faultAt)!;
    await s.waitFor('writes through ledger-b', () => load.attempts.some((a) => a.sentAt > Date.parse(takeover.time) && a.status === 201), 10000);

    frozen.thaw();
    // It wakes with its lease long gone: it decides nothing more, and follows the stream again.
    await s.waitFor('ledger-a back on standby', () => !frozen.leading && frozen.messages().includes(LOST_ROLE_MESSAGE), 10000);
    const thawedAt = Date.now();
    await sleep(500);
    await load.stop();

    const measured = { fault: 'SIGSTOP of the active ledger', takeover_after_fault_ms: Date.parse(takeover.time) - faultAt, takeover_ms: takeover.takeover_ms, caught_up_events: takeover.caught_up_events, ...load.around(faultAt) };
    process.stdout.write(`failover measurement: ${JSON.stringify(measured)}\n`);
    expect(measured.takeover_after_fault_ms).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(measured.longest_in_flight_wait_ms).toBeLessThan(RESUME_BOUND_MS);
    expect(measured.first_write_after_fault_ms).toBeLessThan(RESUME_BOUND_MS);
    expect(measured.unavailable).toBe(0);
    // What waited on the frozen writer was sent again to its successor by the gateway, not by the clients.
    expect((await resent()) - resentBefore).toBeGreaterThanOrEqual(measured.in_flight_at_fault);
    // The frozen writer never decided again after waking: nothing it had queued reached the books
    // twice or behind the new writer's back, and after waking it only followed.
    const woke = frozen.records().filter((record) => Date.parse(record.time) >= faultAt).map((record) => record.msg);
    expect(woke).not.toContain(LEADING_MESSAGE);
    expect(frozen.records().some((record) => Date.parse(record.time) >= thawedAt && record.msg === LEADING_MESSAGE)).toBe(false);
    const balance = await balanceOf('frozen-user');
    expect(balance.status).toBe(200);
    expect(balance.reply.balances).toEqual([expect.objectContaining({ posted: String(load.acknowledged) })]);
  });

  it('answers the commands in flight on a killed writer through its successor, well before the request timeout', async () => {
    const s = services!;
    const active = s.ledgers.find((ledger) => ledger.leading)!;
    const standby = s.ledgers.find((ledger) => ledger !== active && !ledger.exited)!;
    await s.waitFor('a warm standby', () => standby.lastRoleMessage() === STANDBY_MESSAGE, 10000);
    const load = grants(s.base, 'killed-user', 'kill');
    await s.waitFor('some grants', () => load.acknowledged >= 20, 20000);

    const faultAt = Date.now();
    await active.kill();
    await s.waitFor('the standby to lead', () => leadingSince(standby, faultAt) !== undefined, 10000);
    const takeover = leadingSince(standby, faultAt)!;
    await s.waitFor('writes through the new writer', () => load.attempts.some((a) => a.sentAt > Date.parse(takeover.time) && a.status === 201), 10000);
    await sleep(500);
    await load.stop();

    const measured = { fault: 'SIGKILL of the active ledger', takeover_after_fault_ms: Date.parse(takeover.time) - faultAt, takeover_ms: takeover.takeover_ms, caught_up_events: takeover.caught_up_events, ...load.around(faultAt) };
    process.stdout.write(`failover measurement: ${JSON.stringify(measured)}\n`);
    expect(measured.in_flight_at_fault).toBeGreaterThan(0);
    expect(measured.takeover_after_fault_ms).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(measured.longest_in_flight_wait_ms).toBeLessThan(RESUME_BOUND_MS);
    expect(measured.unavailable).toBe(0);
    const balance = await balanceOf('killed-user');
    expect(balance.status).toBe(200);
    expect(balance.reply.balances).toEqual([expect.objectContaining({ posted: String(load.acknowledged) })]);
  });
});
