import { Client } from 'pg';
import { isCreationRaceLost } from '@coffer/event-store';
import { isDatabaseUnavailable, retryDelayMs, sleep } from './resilience';

export interface DatabaseWait {
  /**
   * Called while the server is away (down, restarting) before each wait: a service passes it
   * and waits for ever, so one started during a PostgreSQL restart comes up when the database
   * is back. Without it (the CLI) the first failure is thrown.
   */
  onWait?: (error: Error, attempt: number) => void;
}

/**
 * Runs `work` until it succeeds, waiting a bounded, growing delay after each failure that means
 * the server is away (see DatabaseWait). Any other error (bad credentials, no permission, a bug)
 * is thrown at once.
 */
export async function retryWhileDatabaseAway<T>(work: () => Promise<T>, { onWait }: DatabaseWait = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!onWait || !isDatabaseUnavailable(error)) throw error;
      onWait(error as Error, attempt);
      await sleep(retryDelayMs(attempt));
    }
  }
}

/** Creates the database named in `databaseUrl` if it is missing (API.md: "created if missing"). */
export async function ensureDatabase(databaseUrl: string, wait: DatabaseWait = {}): Promise<void> {
  await retryWhileDatabaseAway(() => createIfMissing(databaseUrl), wait);
}

/** Thrown when an operator's command names a database that does not exist. */
export class MissingDatabaseError extends Error {}

/**
 * For operators' commands: the database named in `databaseUrl` must exist already. A service
 * creates its database on first start; an operator's `coffer status` against a mistyped
 * DATABASE_URL must not create an empty one and report it healthy.
 */
export async function requireDatabase(databaseUrl: string, wait: DatabaseWait = {}): Promise<void> {
  const name = databaseName(databaseUrl);
  const found = await retryWhileDatabaseAway(() => withMaintenanceClient(databaseUrl, (client) => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])), wait);
  if (!found.rowCount) {
    const where = new URL(databaseUrl);
    throw new MissingDatabaseError(
      `database "${name}" does not exist on ${where.hostname}:${where.port || '5432'}: check DATABASE_URL (the services create their database on first start; this command does not)`,
    );
  }
}

/** The database a URL names (its path), decoded. */
export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

async function withMaintenanceClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  client.on('error', () => undefined); // the query in flight rejects with it
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createIfMissing(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  await withMaintenanceClient(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      // CREATE DATABASE cannot run in a transaction (no schema lock): another service creating it first is fine.
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: unknown) => {
        if (!isCreationRaceLost(error)) throw error;
      });
    }
  });
}
