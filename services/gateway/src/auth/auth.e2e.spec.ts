/**
 * Start-up and protection of the gateway against a real ledger: the generated admin token,
 * a gateway that starts before the ledger, and per-app rate limiting.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createHash } from 'node:crypto';
import { createTestDatabase, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { api, startGateway, startLedger, untilServing } from '../../test/gateway-harness';
import { generateApiKey } from './api-keys';

jest.setTimeout(60000);

describe('gateway start-up and protection', () => {
  let database: TestDatabase;
  let stack: { databaseUrl: string; prefix: string };
  const running: Array<NestFastifyApplication | INestMicroservice> = [];
  const started = <T extends NestFastifyApplication | INestMicroservice>(app: T): T => {
    running.push(app);
    return app;
  };

  beforeEach(async () => {
    database = await createTestDatabase('gateway_auth');
    stack = { databaseUrl: database.url, prefix: testNatsPrefix('gateway_auth') };
  });

  afterEach(async () => {
    for (const app of running.splice(0).reverse()) await app.close();
    await database.drop();
  });

  it('generates the admin token at the first start, shows it once, keeps only its hash, and answers 503 (never 500) until the ledger is up', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const logs: string[][] = [[], []];
    let gateways: NestFastifyApplication[];
    let printed: string[];
    try {
      // Two gateways start at once on a fresh database: exactly one generates and shows the token.
      gateways = await Promise.all(logs.map((lines) => startGateway(stack, { COFFER_REQUEST_TIMEOUT_MS: '300' }, lines)));
      gateways.forEach(started);
    } finally {
      printed = stdout.mock.calls.map(([text]) => String(text));
      stdout.mockRestore();
    }
    const shown = logs
      .flat()
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg.startsWith('generated an admin token'));
    expect(shown).toHaveLength(1);
    const tokens = printed.join('').match(/cadm_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(tokens).toHaveLength(1);
    const token = tokens[0] as string;
    // Printed once for the operator, and in no structured log line of either gateway.
    expect(logs.flat().filter((line) => line.includes(token))).toEqual([]);
    const [first, second] = gateways;

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT name, value FROM coffer_gateway.settings');
      expect(rows).toEqual([{ name: 'admin_token_sha256', value: createHash('sha256').update(token).digest('hex') }]);
    } finally {
      await client.end();
    }

    // No ledger yet: /ready says so without the driver's words (the reason goes to the log).
    const ready = await api(first).ready();
    expect({ status: ready.status, body: ready.body }).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'ok', nats: 'ok', ledger: 'unavailable' } },
    });
    const notReady = logs[0].map((line) => JSON.parse(line)).find((line) => line.msg === 'not ready');
    expect(notReady).toMatchObject({ level: 'warn', check: 'ledger', error: expect.stringMatching(/.+/) });

    // No ledger yet: the token is accepted by both gateways, but nothing can be answered.
    for (const gateway of [first, second]) {
      expect((await api(gateway, token + 'x').apps()).status).toBe(401);
      const admin = await api(gateway, token).apps();
      expect({ status: admin.status, code: admin.error.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
      const app = await api(gateway, generateApiKey()).send('POST', '/finance/event');
      expect({ status: app.status, code: app.error.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
    }

    // The ledger comes up: the gateways load the keys in the background and serve.
    started(await startLedger(stack));
    const created = await (async () => {
      for (const deadline = Date.now() + 20000; ; ) {
        const answer = await api(first, token).createApp({ name: 'Late' });
        if (answer.status !== 503 || Date.now() > deadline) return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    expect(created.status).toBe(201);
    await untilServing(second);
    expect((await api(second, String(created.reply.api_key)).balance('someone')).status).toBe(200);
  });

  it('holds each app to COFFER_RATE_LIMIT_PER_SECOND with bursts of twice that, then 429 with Retry-After', async () => {
    const adminToken = 'rate-limit-admin-token-0123';
    started(await startLedger(stack));
    const gateway = started(
      await startGateway(stack, { COFFER_ADMIN_TOKEN: adminToken, COFFER_RATE_LIMIT_PER_SECOND: '2' }),
    );
    await untilServing(gateway);
    const register = async (name: string) =>
      String((await api(gateway, adminToken).createApp({ name })).reply.api_key);
    const [busy, quiet] = [await register('Busy'), await register('Quiet')];

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(gateway, busy).balance('u')).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const limited = await api(gateway, busy).balance('u');
    expect(limited.status).toBe(429);
    expect(limited.error).toMatchObject({ code: 'RATE_LIMITED', details: { retry_after_seconds: 1 } });
    expect(limited.headers['retry-after']).toBe('1');

    expect((await api(gateway, quiet).balance('u')).status).toBe(200);
    expect((await api(gateway, adminToken).apps()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await api(gateway, busy).balance('u')).status).toBe(200);
  });
});
