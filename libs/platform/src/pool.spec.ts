import type { Pool } from 'pg';
import { createTestDatabase, PausableProxy, testServerUrl, type TestDatabase } from '@coffer/testing';
import { createPool, isDatabaseTimeout, QUERY_TIMEOUT_MARGIN_MS } from './pool';
import { isDatabaseUnavailable } from './resilience';

const STATEMENT_TIMEOUT_MS = 300;
const POOL_WAIT_MS = 300;
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How a query ended, and after how long. */
async function timed(query: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await query.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return { ms: performance.now() - started, error };
}

describe('createPool against a PostgreSQL that stops answering without closing (a frozen TCP proxy)', () => {
  let database: TestDatabase;
  let proxy: PausableProxy;
  let pool: Pool;

  beforeEach(async () => {
    database = await createTestDatabase('frozen_pool');
    const server = testServerUrl();
    proxy = await PausableProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    pool = createPool({ connectionString: url.toString(), max: 2 }, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, poolWaitMs: POOL_WAIT_MS });
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]); // two open connections
  });

  afterEach(async () => {
    proxy.resume();
    await pool.end();
    await proxy.close();
    await database.drop();
  });

  it('fails a query on an open connection at the query timeout, and one that needs a connection at the pool wait', async () => {
    proxy.pause();
    const [first, second, third] = await Promise.all([
      timed(pool.query('SELECT 1')),
      timed(pool.query('SELECT 2')),
      timed(pool.query('SELECT 3')), // both connections are busy: it waits for one, at most the pool wait
    ]);
    for (const outcome of [first, second]) {
      expect({ message: (outcome.error as Error)?.message, timeout: isDatabaseTimeout(outcome.error) }).toEqual({
        message: 'Query read timeout',
        timeout: true,
      });
      expect(outcome.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 5);
      expect(outcome.ms).toBeLessThan(QUERY_TIMEOUT_MS + 1000);
    }
    expect({ message: (third.error as Error)?.message, timeout: isDatabaseTimeout(third.error) }).toEqual({
      message: 'timeout exceeded when trying to connect',
      timeout: true,
    });
    expect(third.ms).toBeLessThan(POOL_WAIT_MS + 500);

    // The timed-out connections were dropped: a new one through the frozen proxy cannot connect
    // either, and gives up at the pool wait (the database is away: 503 too).
    const fresh = await timed(pool.query('SELECT 4'));
    expect({ message: (fresh.error as Error)?.message, away: isDatabaseUnavailable(fresh.error) }).toEqual({
      message: 'Connection terminated due to connection timeout',
      away: true,
    });
    expect(fresh.ms).toBeLessThan(POOL_WAIT_MS + 500);

    proxy.resume();
    expect((await pool.query('SELECT 42 AS answer')).rows).toEqual([{ answer: 42 }]);
  });

  it('is answered by a server frozen for less than the query timeout', async () => {
    proxy.pause();
    const answer = timed(pool.query('SELECT 1'));
    await sleep(QUERY_TIMEOUT_MS - 400);
    proxy.resume();
    const { ms, error } = await answer;
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(QUERY_TIMEOUT_MS);
  });
});
