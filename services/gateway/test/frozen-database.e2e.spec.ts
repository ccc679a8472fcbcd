/**
 * A PostgreSQL that stops answering without closing anything (frozen by SIGSTOP, or cut off by a
 * partition: no reset): the gateway says so instead of hanging. Its reads answer 503 within the
 * query timeout, /ready answers 503 within its probe timeout, probe after probe, and once the
 * database answers again both are served. The gateway reaches PostgreSQL through a TCP proxy the
 * test freezes, so the shared server is never touched; the ledger and projector use it directly.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { QUERY_TIMEOUT_MARGIN_MS } from '@coffer/platform';
import { PausableProxy, testServerUrl } from '@coffer/testing';
import type { Answer } from './api-client';
import { ADMIN_TOKEN, api, Stack, startGateway, until, untilServing, type RegisteredApp } from './gateway-harness';
import { READY_CACHE_MS } from '../src/health/cached-check';
import { READY_PROBE_TIMEOUT_MS } from '../src/health/health.controller';

jest.setTimeout(120000);

const STATEMENT_TIMEOUT_MS = 3000;
const POOL_WAIT_MS = 500;
/** Room for the event loop and the machine's load on top of a bound. */
const SLACK_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<Reply>(request: Promise<Answer<Reply>>): Promise<Answer<Reply> & { ms: number }> {
  const started = performance.now();
  const answer = await request;
  return Object.assign(answer, { ms: performance.now() - started });
}

describe('a gateway whose PostgreSQL stops answering without closing its connections', () => {
  let stack: Stack;
  let app: RegisteredApp;
  let proxy: PausableProxy;
  let gateway: NestFastifyApplication;
  const ready = () => timed(api(gateway).ready());
  const list = () => timed(api(gateway, app.api_key).transactions({ limit: 1 }));

  beforeAll(async () => {
    stack = await Stack.start('gateway_frozen_pg');
    app = await stack.registerApp('Frozen');
    const server = testServerUrl();
    proxy = await PausableProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    const throughProxy = new URL(stack.env.databaseUrl);
    throughProxy.host = `127.0.0.1:${proxy.port}`;
    gateway = await startGateway(
      { ...stack.env, databaseUrl: throughProxy.toString() },
      { COFFER_ADMIN_TOKEN: ADMIN_TOKEN, COFFER_PG_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), COFFER_PG_POOL_WAIT_MS: String(POOL_WAIT_MS) },
    );
    await untilServing(gateway);
    // the projector's read models may still be in the making
    expect((await until(list, (answer) => answer.status === 200, 10_000)).status).toBe(200);
    expect((await until(ready, (answer) => answer.status === 200, 10_000)).status).toBe(200);
  });

  afterAll(async () => {
    proxy?.resume();
    await gateway?.close();
    await proxy?.close();
    await stack?.close();
  });

  it('answers 503 within its bounds while the database is frozen, probe after probe, and serves again when it answers', async () => {
    await sleep(READY_CACHE_MS); // the last readiness answer has expired
    proxy.pause();

    // The pool still holds open connections (a probe on one waits for an answer that never comes).
    // Each probe after the cached answer expired checks again, and none waits on an earlier one.
    for (let probe = 0; probe < 3; probe++) {
      const answer = await ready();
      expect({ status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'] }).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { database: 'unavailable', nats: 'ok', ledger: 'ok' } },
        retryAfter: '1',
      });
      expect(answer.ms).toBeLessThan(READY_PROBE_TIMEOUT_MS + SLACK_MS);
      await sleep(READY_CACHE_MS);
    }

    const reads = await Promise.all(Array.from({ length: 3 }, () => list()));
    for (const read of reads) {
      expect({ status: read.status, code: read.errorCode, retryAfter: read.headers['retry-after'] }).toEqual({
        status: 503,
        code: 'UNAVAILABLE',
        retryAfter: '1',
      });
      expect(read.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS + POOL_WAIT_MS + SLACK_MS);
    }

    proxy.resume();
    expect((await until(ready, (answer) => answer.status === 200, 10_000)).body).toEqual({
      status: 'ready',
      checks: { database: 'ok', nats: 'ok', ledger: 'ok' },
    });
    expect((await until(list, (answer) => answer.status === 200, 10_000)).status).toBe(200);
  });
});
