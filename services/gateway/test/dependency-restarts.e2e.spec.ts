/**
 * PostgreSQL stopped at once (pg_ctl stop -m immediate) and NATS down for longer than the nats
 * client's default reconnect budget (~20 s), each on a private server of the test's own, with
 * the BUILT services as processes: no process dies, a read or write meanwhile is a 503 with
 * Retry-After (never a 500), writes resume within about two seconds of the server's return, and
 * the projector catches up.
 */
import { createTestDatabase, PrivateNats, PrivatePostgres, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { http, sleep, type HttpAnswer } from './http-client';
import { assertBuilt, freeLoopbackPort, Service, waitFor } from './processes';

jest.setTimeout(180000);

const ADMIN_TOKEN = 'restart-admin-token-0123456789';
/** Writes resume within this of the dependency being back (the issue's bound is about 2 s). */
const RESUME_BOUND_MS = 2000;
/** Longer than the nats client's default reconnect budget (10 attempts, 2 s apart). */
const NATS_OUTAGE_MS = 22000;

/** A stack of the built services on the given servers: one ledger, the projector, a gateway. */
class Stack {
  readonly services: Service[] = [];
  readonly base: string;
  apiKey = '';
  private keys = 0;

  private constructor(
    private readonly env: Record<string, string>,
    port: number,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  static async start(databaseUrl: string, natsUrl: string, label: string): Promise<Stack> {
    const port = await freeLoopbackPort();
    const stack = new Stack(
      {
        DATABASE_URL: databaseUrl,
        NATS_URL: natsUrl,
        COFFER_NATS_PREFIX: testNatsPrefix(label),
        COFFER_ADMIN_TOKEN: ADMIN_TOKEN,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      port,
    );
    const ledger = stack.spawn('ledger', { LOG_LEVEL: 'info' });
    await waitFor('the ledger to lead', () => ledger.leading, 30000, stack.services);
    stack.spawn('projector');
    stack.spawn('gateway');
    await waitFor('GET /ready 200', async () => (await http(stack.base, 'GET', '/ready')).status === 200, 30000, stack.services);
    const app = await stack.post('/admin/apps', { name: label }, ADMIN_TOKEN);
    expect(app.status).toBe(201);
    stack.apiKey = app.body.api_key;
    return stack;
  }

  private spawn(name: string, extra: Record<string, string> = {}): Service {
    const service = new Service(name, `services/${name}/dist/main.js`, { ...this.env, ...extra });
    this.services.push(service);
    return service;
  }

  post(path: string, body: object, token = this.apiKey): Promise<HttpAnswer> {
    return http(this.base, 'POST', path, { token, body, idempotencyKey: `key-${this.keys++}` });
  }

  credit(user: string): Promise<HttpAnswer> {
    return this.post('/finance/transaction', { user_id: user, type: 'credit', amount: 1 });
  }

  balance(user: string, query = ''): Promise<HttpAnswer> {
    return http(this.base, 'GET', `/finance/balance/${user}${query}`, { token: this.apiKey });
  }

  /** Milliseconds from now until a credit is acknowledged (each try with a key of its own). */
  async untilWritesResume(): Promise<number> {
    const from = Date.now();
    await waitFor('a write to succeed', async () => (await this.credit('resume-probe')).status === 201, 60000, this.services);
    return Date.now() - from;
  }

  /** No service exited, and none logged an unhandled error. */
  expectAllAlive(): void {
    expect(this.services.filter((service) => service.exited).map((service) => service.tail())).toEqual([]);
    const unhandled = this.services.flatMap((service) => service.lines.filter((line) => /Unhandled|uncaught/i.test(line)));
    expect(unhandled).toEqual([]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.services.map((service) => service.kill()));
  }
}

const expectUnavailable = (answer: HttpAnswer) => {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
};

describe('a PostgreSQL immediate stop and restart (private cluster, built services as processes)', () => {
  let postgres: PrivatePostgres | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway', 'projector');
    postgres = await PrivatePostgres.start();
    stack = await Stack.start(postgres.url('coffer'), testNatsUrl(), 'pg_restart');
  });

  afterAll(async () => {
    await stack?.stop();
    await postgres?.stop();
  });

  it('answers 503 with Retry-After while it is down, loses no process, resumes writes and catches up the read models', async () => {
    const s = stack!;
    for (let i = 0; i < 5; i++) expect((await s.credit('pg-user')).status).toBe(201);
    expect((await s.balance('pg-user')).status).toBe(200);

    postgres!.stopImmediately();
    expectUnavailable(await s.balance('pg-user'));
    expectUnavailable(await s.credit('pg-user'));
    await sleep(3000); // long enough for every pool, listener and lease to notice
    expectUnavailable(await s.balance('pg-user'));
    s.expectAllAlive();

    await postgres!.restart();
    const resumeMs = await s.untilWritesResume();
    process.stdout.write(`restart measurement: ${JSON.stringify({ fault: 'PostgreSQL immediate stop', writes_resumed_after_ms: resumeMs })}\n`);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    expect((await s.credit('pg-user')).status).toBe(201);

    // The projector lived through it and catches up: the read models equal the ledger again.
    await waitFor(
      'the read models to equal the ledger',
      async () => {
        const [strong, read] = await Promise.all([s.balance('pg-user', '?consistency=strong'), s.balance('pg-user')]);
        return read.status === 200 && JSON.stringify(read.body) === JSON.stringify(strong.body);
      },
      20000,
      s.services,
    );
    expect((await s.balance('pg-user')).body.balances).toEqual([expect.objectContaining({ posted: '6' })]);
    s.expectAllAlive();
  });
});

describe('NATS down for longer than 20 s (private nats-server, built services as processes)', () => {
  let database: TestDatabase | undefined;
  let nats: PrivateNats | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway', 'projector');
    database = await createTestDatabase('nats_restart');
    nats = await PrivateNats.start();
    stack = await Stack.start(database.url, nats.url, 'nats_restart');
  });

  afterAll(async () => {
    await stack?.stop();
    await nats?.stop();
    await database?.drop();
  });

  it('keeps every service and reconnects them all, writing again within about two seconds of its return', async () => {
    const s = stack!;
    expect((await s.credit('nats-user')).status).toBe(201);

    await nats!.kill();
    expectUnavailable(await s.credit('nats-user'));
    await sleep(NATS_OUTAGE_MS);
    s.expectAllAlive();

    await nats!.restart();
    const resumeMs = await s.untilWritesResume();
    process.stdout.write(`restart measurement: ${JSON.stringify({ fault: `NATS down ${NATS_OUTAGE_MS} ms`, writes_resumed_after_ms: resumeMs })}\n`);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    await waitFor('GET /ready 200', async () => (await http(s.base, 'GET', '/ready')).status === 200, 10000, s.services);
    s.expectAllAlive();
  });
});
