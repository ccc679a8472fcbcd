/**
 * PostgreSQL stopped at once (pg_ctl stop -m immediate) and NATS down for longer than the nats
 * client's default reconnect budget (~20 s), each on a private server of the test's own, with
 * the BUILT services as processes: no process dies, a read or write meanwhile is a 503 with
 * Retry-After (never a 500), writes resume within about two seconds of the server's return, and
 * the projector catches up.
 */
import { createTestDatabase, dropTestStreams, PrivateNats, PrivatePostgres, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import type { BalanceView, TransactionView } from '@coffer/contracts/http';
import { ApiClient, type Answer } from './api-client';
import { sleep } from './http-client';
import { assertBuilt, BuiltServices } from './processes';

jest.setTimeout(180000);

const ADMIN_TOKEN = 'restart-admin-token-0123456789';
/** Writes resume within this of the dependency being back (the issue's bound is about 2 s). */
const RESUME_BOUND_MS = 2000;
/** Longer than the nats client's default reconnect budget (10 attempts, 2 s apart). */
const NATS_OUTAGE_MS = 22000;

/** A stack of the built services on the given servers: one ledger, the projector, a gateway. */
class Stack {
  apiKey = '';
  private keys = 0;

  private constructor(readonly services: BuiltServices) {}

  get base(): string {
    return this.services.base;
  }

  /** The stack, up and with an app; what it started is killed again when it cannot get there. */
  static async start(databaseUrl: string, natsUrl: string, natsPrefix: string): Promise<Stack> {
    const stack = new Stack(await BuiltServices.on({ databaseUrl, natsUrl, natsPrefix, adminToken: ADMIN_TOKEN }));
    try {
      await stack.services.startLeading('projector', 'gateway');
      const app = await ApiClient.http(stack.base, ADMIN_TOKEN).createApp({ name: natsPrefix }, { idempotencyKey: stack.nextKey() });
      expect(app.status).toBe(201);
      stack.apiKey = String(app.reply.api_key);
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Every command with an Idempotency-Key of its own. */
  nextKey(): string {
    return `key-${this.keys++}`;
  }

  get app(): ApiClient {
    return ApiClient.http(this.base, this.apiKey);
  }

  credit(user: string): Promise<Answer<TransactionView>> {
    return this.app.postTransaction({ user_id: user, type: 'credit', amount: 1 }, { idempotencyKey: this.nextKey() });
  }

  balance(user: string, query = ''): Promise<Answer<BalanceView>> {
    return this.app.balance(user, query);
  }

  /** Milliseconds from now until a credit is acknowledged (each try with a key of its own). */
  async untilWritesResume(): Promise<number> {
    const from = Date.now();
    await this.services.waitFor('a write to succeed', async () => (await this.credit('resume-probe')).status === 201, 60000);
    return Date.now() - from;
  }

  /** No service exited, and none logged an unhandled error. */
  expectAllAlive(): void {
    expect(this.services.all.filter((service) => service.exited).map((service) => service.tail())).toEqual([]);
    const unhandled = this.services.all.flatMap((service) => service.lines.filter((line) => /Unhandled|uncaught/i.test(line)));
    expect(unhandled).toEqual([]);
  }

  stop(): Promise<void> {
    return this.services.stop();
  }
}

const expectUnavailable = (answer: Answer<unknown>) => {
  expect({ status: answer.status, code: answer.errorCode }).toEqual({ status: 503, code: 'UNAVAILABLE' });
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
};

describe('a PostgreSQL immediate stop and restart (private cluster, built services as processes)', () => {
  let postgres: PrivatePostgres | undefined;
  let stack: Stack | undefined;
  const prefix = testNatsPrefix('pg_restart'); // the shared NATS: the projector's feed stream is dropped at the end

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway', 'projector');
    postgres = new PrivatePostgres({ settings: { fsync: 'off' } });
    await postgres.start();
    stack = await Stack.start(postgres.url('coffer'), testNatsUrl(), prefix);
  });

  afterAll(async () => {
    await stack?.stop();
    await postgres?.stop();
    await dropTestStreams(prefix);
  });

  it('answers 503 with Retry-After while it is down, loses no process, resumes writes and catches up the read models', async () => {
    const s = stack!;
    for (let i = 0; i < 5; i++) expect((await s.credit('pg-user')).status).toBe(201);
    expect((await s.balance('pg-user')).status).toBe(200);

    await postgres!.stopImmediately();
    // At once, the ledger may still answer a balance the read models lag behind: from memory,
    // within its writer lease (1 s), and right. Once the lease lapses nobody can (below).
    const early = await s.balance('pg-user');
    if (early.status === 200) expect(early.reply.balances.find((line) => line.currency === 'coins')?.posted).toBe('5'); // five credits of 1
    else expectUnavailable(early);
    expectUnavailable(await s.credit('pg-user'));
    await sleep(3000); // long enough for every pool, listener and lease to notice
    expectUnavailable(await s.balance('pg-user'));
    s.expectAllAlive();

    await postgres!.start();
    const resumeMs = await s.untilWritesResume();
    process.stdout.write(`restart measurement: ${JSON.stringify({ fault: 'PostgreSQL immediate stop', writes_resumed_after_ms: resumeMs })}\n`);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    expect((await s.credit('pg-user')).status).toBe(201);

    // The projector lived through it and catches up: the read models equal the ledger again.
    await s.services.waitFor(
      'the read models to equal the ledger',
      async () => {
        const [strong, read] = await Promise.all([s.balance('pg-user', 'consistency=strong'), s.balance('pg-user')]);
        return read.status === 200 && JSON.stringify(read.body) === JSON.stringify(strong.body);
      },
      20000,
    );
    expect((await s.balance('pg-user')).reply.balances).toEqual([expect.objectContaining({ posted: '6' })]);
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
    nats = new PrivateNats();
    await nats.start();
    stack = await Stack.start(database.url, nats.url, testNatsPrefix('nats_restart'));
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

    await nats!.start();
    const resumeMs = await s.untilWritesResume();
    process.stdout.write(`restart measurement: ${JSON.stringify({ fault: `NATS down ${NATS_OUTAGE_MS} ms`, writes_resumed_after_ms: resumeMs })}\n`);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    await s.services.waitFor('GET /ready 200', async () => (await ApiClient.http(s.base).ready()).status === 200, 10000);
    s.expectAllAlive();
  });
});
