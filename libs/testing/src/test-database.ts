import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { Client, Pool } from 'pg';

/** The server tests run against: DATABASE_URL's server (its database name is replaced). */
export function testServerUrl(): URL {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/coffer');
  // libpq's habit: no user in the URL means the OS user (the pg driver needs it said).
  if (!url.username) url.username = process.env.PGUSER ?? userInfo().username;
  return url;
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A pool on this database (the caller ends it), safe to leave open while drop() forces connections closed. */
  pool(): Pool;
  drop(): Promise<void>;
}

/** Creates a database of the test's own; `drop()` removes it (and any connection left to it). */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `coffer_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const admin = testServerUrl();
  admin.pathname = '/postgres';
  await withClient(admin.toString(), (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = testServerUrl();
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    pool: () => {
      const pool = new Pool({ connectionString: url.toString() });
      // drop() forces connections closed: one still closing then gets a FATAL, which a pool
      // without a listener would throw as an unhandled 'error' event into the next test.
      pool.on('error', () => undefined);
      return pool;
    },
    drop: async () => {
      await withClient(admin.toString(), (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
