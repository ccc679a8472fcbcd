/**
 * Jobs are one at a time across gateways: two OperationJobs on one real database (two gateways)
 * and runners the test releases, so "while one runs" is a state the test holds, not a race.
 */
import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { OperationJobs, type OperationRunner } from './operation-jobs';

function gated(): { runner: OperationRunner; release: (result?: Error) => void; started: Promise<void> } {
  let release!: (result?: Error) => void;
  let begun!: () => void;
  const started = new Promise<void>((resolve) => (begun = resolve));
  const runner: OperationRunner = (progress) =>
    new Promise((resolve, reject) => {
      progress(1, 4);
      begun();
      release = (error) => (error ? reject(error) : resolve({ ok: true }));
    });
  return { runner, release: (error) => release(error), started };
}

describe('OperationJobs', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('operation-jobs');
    pool = new Pool({ connectionString: database.url, max: 4 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('runs one job at a time here and in another gateway, reports its progress and result, then takes the next', async () => {
    const verify = gated();
    const here = new OperationJobs(pool, { verify: verify.runner, rebuild: gated().runner });
    const next = gated();
    const there = new OperationJobs(pool, { verify: next.runner, rebuild: gated().runner });

    const job = await here.start('verify');
    expect(job).toEqual(expect.objectContaining({ kind: 'verify', status: 'running', finished_at: null }));
    await verify.started;
    expect(here.current?.progress).toEqual({ done: 1, total: 4 });
    expect(await here.start('rebuild')).toBeUndefined(); // this gateway
    expect(await there.start('rebuild')).toBeUndefined(); // another gateway: the advisory lock

    verify.release();
    await here.settled();
    expect(here.current).toEqual(expect.objectContaining({ status: 'done', result: { ok: true }, error: null, finished_at: expect.any(String) }));
    expect((await there.start('verify'))?.status).toBe('running');
    await next.started;
    next.release();
    await there.settled();
  });

  it('records a job that could not run to its end as failed, and frees the lock', async () => {
    const failing = gated();
    const jobs = new OperationJobs(pool, { verify: failing.runner, rebuild: failing.runner });
    await jobs.start('rebuild');
    await failing.started;
    failing.release(new Error('the store went away'));
    await jobs.settled();
    expect(jobs.current).toEqual(expect.objectContaining({ kind: 'rebuild', status: 'failed', error: 'the store went away' }));
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    expect(rows[0].n).toBe(0);
  });
});
