/**
 * The gateway's limits over real sockets: slow and silent clients are cut off at their
 * deadlines, connections are capped, clients without credentials and clients that fail to
 * authenticate are limited per address (others are served as before), readiness probes share
 * one check per second, and offset paging stops where cursors take over. Each limit is met at
 * its edge: at it the request is served, one beyond it is refused.
 */
import { connect, type Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MAX_OFFSET_PAGING_ROWS, type AppList, type BalanceView } from '@coffer/contracts/http';
import { generateApiKey } from '../src/auth/api-keys';
import { HTTP_TIMEOUTS_CHECKED_EVERY_MS } from '../src/create-gateway';
import { ApiClient } from './api-client';
import { ADMIN_TOKEN, api, Stack, startGateway, until, untilServing, type RegisteredApp } from './gateway-harness';
import { HealthController } from '../src/health/health.controller';
import { listenOnLoopback, sleep } from './http-client';

jest.setTimeout(120000);

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 1500;
const KEEP_ALIVE_TIMEOUT_MS = 500;
const IDLE_TIMEOUT_MS = 2500;
const MAX_CONNECTIONS = 3;

/** A raw TCP connection to the gateway: what it was sent back, and when it was closed. */
interface RawConnection {
  socket: Socket;
  openedAt: number;
  received: () => string;
  closed: Promise<number>;
}

function open(base: string, localAddress?: string): Promise<RawConnection> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => {
      const openedAt = Date.now();
      const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - openedAt)));
      resolve({ socket, openedAt, received: () => Buffer.concat(chunks).toString('latin1'), closed });
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset is how some of these end
    socket.once('error', reject);
  });
}

/** Writes `text` one byte at a time, `gapMs` apart, while the socket is open; resolves with the bytes written. */
async function trickle(connection: RawConnection, text: string, gapMs: number): Promise<number> {
  let written = 0;
  for (const byte of text) {
    if (connection.socket.destroyed || connection.socket.writableEnded) break;
    connection.socket.write(byte);
    written++;
    await sleep(gapMs);
  }
  return written;
}

describe('gateway limits over real sockets', () => {
  let stack: Stack;
  let app: RegisteredApp;
  const gateways: NestFastifyApplication[] = [];
  const gatewayWith = async (settings: Record<string, string>) => {
    const gateway = await startGateway(stack.env, { COFFER_ADMIN_TOKEN: ADMIN_TOKEN, ...settings });
    gateways.push(gateway);
    await untilServing(gateway);
    return listenOnLoopback(gateway);
  };

  beforeAll(async () => {
    stack = await Stack.start('gateway_limits');
    app = await stack.registerApp('Limits');
  });

  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await stack?.close();
  });

  describe('socket deadlines', () => {
    let base: string;
    beforeAll(async () => {
      base = await gatewayWith({
        COFFER_REQUEST_TIMEOUT_MS: '1000',
        COFFER_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        COFFER_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        COFFER_HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
        COFFER_HTTP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      });
    });

    it('answers a client that sends its headers byte by byte within the headers timeout', async () => {
      const connection = await open(base);
      const request = 'GET /health HTTP/1.1\r\nHost: coffer\r\nConnection: close\r\n\r\n';
      await trickle(connection, request, Math.floor((HEADERS_TIMEOUT_MS * 0.5) / request.length));
      await connection.closed;
      expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('cuts off a slowloris that never finishes its headers, at the headers timeout', async () => {
      const connection = await open(base);
      const sent = trickle(connection, `GET /health HTTP/1.1\r\nHost: coffer\r\nX-Slow: ${'a'.repeat(200)}`, 50);
      const closedAfterMs = await connection.closed;
      expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + HTTP_TIMEOUTS_CHECKED_EVERY_MS + 1000);
      expect(connection.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      expect(await sent).toBeLessThan(100); // it never got to send its whole header
    });

    it('cuts off a client that trickles its body past the request timeout', async () => {
      const connection = await open(base);
      const head = `POST /finance/transaction HTTP/1.1\r\nHost: coffer\r\nAuthorization: Bearer ${app.api_key}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n`;
      connection.socket.write(head);
      const sent = trickle(connection, `{"user_id":"slow","type":"credit","amount":1,"description":"${'b'.repeat(340)}"}`, 50);
      const closedAfterMs = await connection.closed;
      expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + HTTP_TIMEOUTS_CHECKED_EVERY_MS + 1000);
      expect(connection.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      expect(await sent).toBeLessThan(400);
      const balance = await stack.as(app.api_key).balance('slow', { consistency: 'strong' });
      expect(balance.reply.balances).toMatchObject([{ currency: 'coins', posted: '0' }]); // nothing of it was applied
    });

    it('closes a connection that sends nothing at all', async () => {
      const connection = await open(base);
      const closedAfterMs = await connection.closed;
      expect(closedAfterMs).toBeLessThan(IDLE_TIMEOUT_MS + HTTP_TIMEOUTS_CHECKED_EVERY_MS + 1000);
      expect(connection.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
    });

    it('keeps an idle keep-alive connection for the keep-alive timeout, then closes it', async () => {
      const connection = await open(base);
      connection.socket.write('GET /health HTTP/1.1\r\nHost: coffer\r\n\r\n');
      await sleep(KEEP_ALIVE_TIMEOUT_MS / 2);
      expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
      connection.socket.write('GET /health HTTP/1.1\r\nHost: coffer\r\n\r\n'); // still open halfway through
      const closedAfterMs = await connection.closed;
      expect(connection.received().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
      expect(closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS);
      expect(closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS * 2 + 1000);
    });
  });

  it(`serves ${MAX_CONNECTIONS} open connections at once and closes one more as it arrives`, async () => {
    const base = await gatewayWith({ COFFER_HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) });
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(base)));
    const extra = await open(base);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: coffer\r\nConnection: close\r\n\r\n');
    expect(await extra.closed).toBeLessThan(1000);
    expect(extra.received()).toBe('');
    for (const connection of held) connection.socket.write('GET /health HTTP/1.1\r\nHost: coffer\r\nConnection: close\r\n\r\n');
    await Promise.all(held.map((connection) => connection.closed));
    for (const connection of held) expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect((await ApiClient.http(base).health()).status).toBe(200); // and once they are gone, a new one is served
  });

  describe('per address', () => {
    let base: string;
    beforeAll(async () => {
      base = await gatewayWith({ COFFER_ADDRESS_RATE_LIMIT_PER_SECOND: '2', COFFER_AUTH_FAILURE_LIMIT_PER_SECOND: '1' });
    });

    it('serves a burst of twice the rate of requests without credentials from an address, then 429s that address alone', async () => {
      const from = (localAddress: string) => ApiClient.http(base).send('GET', '/health', { localAddress });
      for (let i = 0; i < 4; i++) expect((await from('127.0.0.11')).status).toBe(200);
      const refused = await from('127.0.0.11');
      expect({ status: refused.status, code: refused.errorCode, retryAfter: refused.headers['retry-after'] }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        retryAfter: '1',
      });
      expect((await from('127.0.0.12')).status).toBe(200);
      // a bogus Authorization header does not make a public route a credentialed one
      expect((await ApiClient.http(base, 'bogus').send('GET', '/metrics', { localAddress: '127.0.0.11' })).status).toBe(429);
    });

    it('lets an address fail to authenticate twice the rate, then refuses its failures alone: never its valid keys, nor other addresses', async () => {
      const balance = (token: string, localAddress: string) => ApiClient.http(base, token).send<BalanceView>('GET', '/finance/balance/alice', { localAddress });
      expect((await balance(generateApiKey(), '127.0.0.21')).status).toBe(401);
      expect((await balance(ADMIN_TOKEN, '127.0.0.21')).status).toBe(401);
      // Its failures are used up, yet whoever behind the same address holds a valid key is served.
      expect((await balance(app.api_key, '127.0.0.21')).status).toBe(200);
      expect((await ApiClient.http(base, ADMIN_TOKEN).send<AppList>('GET', '/admin/apps', { localAddress: '127.0.0.21' })).status).toBe(200);
      const refused = await balance(generateApiKey(), '127.0.0.21');
      expect({ status: refused.status, code: refused.errorCode, retryAfter: refused.headers['retry-after'] }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        retryAfter: '1',
      });
      expect((await ApiClient.http(base, 'wrong-admin-token').send<AppList>('GET', '/admin/apps', { localAddress: '127.0.0.21' })).status).toBe(429);
      expect((await balance(generateApiKey(), '127.0.0.22')).status).toBe(401);
      await sleep(1000); // one failure's worth flows back
      expect((await balance(generateApiKey(), '127.0.0.21')).status).toBe(401);
    });

    it('never limits an authenticated client by its address', async () => {
      const client = ApiClient.http(base, app.api_key);
      for (let i = 0; i < 20; i++) expect((await client.send<BalanceView>('GET', '/finance/balance/alice', { localAddress: '127.0.0.31' })).status).toBe(200);
    });
  });

  it('answers 503 with Retry-After, not a hang or a 500, when a statement outlives its timeout or a pool has no connection in time', async () => {
    const STATEMENT_TIMEOUT_MS = 400;
    const gateway = await startGateway(stack.env, {
      COFFER_ADMIN_TOKEN: ADMIN_TOKEN,
      COFFER_PG_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      COFFER_PG_POOL_WAIT_MS: '200',
    });
    gateways.push(gateway);
    await untilServing(gateway);
    const list = () => api(gateway, app.api_key).transactions({ limit: 1 });
    // the projector's read models may still be in the making when this test runs first
    const first = await until(list, (answer) => answer.status === 200, 10_000);
    expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: expect.anything() });
    const holder = stack.database.pool();
    const client = await holder.connect();
    const lock = async () => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE coffer_read.transactions IN ACCESS EXCLUSIVE MODE');
    };
    try {
      // held for less than the timeout: the read waits for it and is served
      await lock();
      const waiting = list();
      await sleep(STATEMENT_TIMEOUT_MS / 4);
      await client.query('ROLLBACK');
      expect((await waiting).status).toBe(200);

      // held longer: the 10 reads that got a connection time out, the 2 that did not get one give up waiting
      await lock();
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 12 }, () => list()));
      expect(Date.now() - started).toBeLessThan(STATEMENT_TIMEOUT_MS + 2000);
      for (const answer of answers) {
        expect({ status: answer.status, code: answer.error.code, retryAfter: answer.headers['retry-after'] }).toEqual({
          status: 503,
          code: 'UNAVAILABLE',
          retryAfter: '1',
        });
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
      await holder.end();
    }
    expect((await list()).status).toBe(200);
  });

  it('checks readiness at most once a second, however many probes arrive', async () => {
    const readiness = stack.gateway.get(HealthController).readiness;
    const before = readiness.runs;
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => api(stack.gateway).ready()));
    const seconds = (performance.now() - started) / 1000;
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]));
    expect(readiness.runs - before).toBeGreaterThanOrEqual(1);
    expect(readiness.runs - before).toBeLessThanOrEqual(Math.floor(seconds) + 1);
  });

  it(`pages by offset up to page × limit = ${MAX_OFFSET_PAGING_ROWS}, and by cursor beyond`, async () => {
    const list = (query: string) => stack.as(app.api_key).transactions(query);
    expect((await list('page=100&limit=100')).status).toBe(200);
    expect((await list('page=10000&limit=1')).status).toBe(200);
    expect((await list('page=1000')).status).toBe(200); // the default limit is 10
    for (const query of ['page=101&limit=100', 'page=10000&limit=2', 'page=1001']) {
      const refused = await list(query);
      expect({ query, status: refused.status, code: refused.error.code, fields: Object.keys(refused.fieldErrors) }).toEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: ['page'],
      });
      expect(refused.fieldErrors.page[0]).toMatch(/cursor/);
    }
    expect((await list('cursor=9007199254740&limit=100')).status).toBe(200);
  });
});
