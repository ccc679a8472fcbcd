/**
 * The operators' CLI as an operator runs it (`node tools/coffer.js …`, built services): it reads
 * the database it is pointed at and never creates one, and says which one it reads.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { createTestDatabase, testServerUrl, type TestDatabase } from '@coffer/testing';

const ROOT = join(__dirname, '../../..');

function coffer(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'services/projector/dist/cli/coffer.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The test server's URL with another database name. */
function urlOf(database: string): string {
  const url = testServerUrl();
  url.pathname = `/${database}`;
  return url.toString();
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('the operators CLI and the database it reads', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('cli_reads');
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('refuses a database that does not exist, names it, and creates nothing', async () => {
    const missing = `${database.name}_mistyped`;
    for (const command of [['status'], ['verify'], ['rebuild', 'all'], ['service-key', 'show']]) {
      const run = await coffer(command, { DATABASE_URL: urlOf(missing) });
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({
        command,
        code: 1,
        stderr: expect.stringContaining(`database "${missing}" does not exist`),
      });
    }
    expect(await databaseExists(missing)).toBe(false);
  });

  it('says which database and event store it reads, on stderr, and reports on stdout', async () => {
    const run = await coffer(['status'], { DATABASE_URL: database.url });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`coffer status: database "${database.name}" on `);
    expect(run.stderr).toContain('the PostgreSQL event store in it');
    expect(run.stderr).not.toMatch(/password|:\/\/[^/]*:[^@/]*@/);
    expect(() => JSON.parse(run.stdout)).not.toThrow();
  });

  it('shows a short rebuild from its start through its progress to its end, line by line when stderr is no terminal', async () => {
    // 250 events: pages of 100 (rebuildPageSize), where one page of 20000 used to show only 100%.
    const store = await PostgresEventStore.connect({ connectionString: database.url });
    try {
      const credits: NewEvent[] = Array.from({ length: 250 }, (_, i) => ({
        id: randomUUID(),
        type: 'TransactionPosted',
        data: {
          transaction_id: i + 1,
          event_id: null,
          app_id: 'app_x',
          kind: 'credit',
          user_id: `u${i % 7}`,
          debit_account: 'house:app_x',
          credit_account: `user:u${i % 7}`,
          amount: '3',
          currency: 'coins',
          description: null,
          created_at: '2026-11-30T12:00:00.000Z',
        },
        metadata: { schema_version: 1, correlation_id: randomUUID(), causation_id: null, app_id: 'app_x' },
      }));
      await store.append('cli-rebuild', credits);
    } finally {
      await store.close();
    }
    const run = await coffer(['rebuild', 'all'], { DATABASE_URL: database.url });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('\r');
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('rebuild'));
    expect(lines.map((line) => line.replace(/^rebuild \[[#.]+\] +| events, .*$/g, ''))).toEqual([
      '0% 0/250',
      '40% 100/250',
      '80% 200/250',
      '100% 250/250',
      'rebuild: indexing',
      'rebuild: catching up and swapping',
    ]);
    expect(run.stdout).toMatch(/^rebuilt read models into generation \d+: 250 events in /);
  });
});
