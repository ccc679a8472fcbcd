import { Client } from 'pg';

const RETRY_MS = 500;
const HEARTBEAT_MS = 1000;

/**
 * Who may write a realm: the holder of a PostgreSQL session advisory lock. The lock dies with
 * its connection, so when the active ledger dies the standby gets it within a retry interval.
 * The lock only decides who tries to write; the stream revision check is what fences a writer
 * that lost it without noticing (see WriterTermStarted).
 */
export class Leadership {
  private client: Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly realm: string,
  ) {}

  /** Resolves once this instance holds the lock (or rejects when stopped first). */
  async acquire(): Promise<void> {
    while (!this.stopped) {
      const client = new Client({ connectionString: this.databaseUrl });
      client.on('error', () => undefined);
      try {
        await client.connect();
        while (!this.stopped) {
          const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS held', [
            `coffer-ledger:${this.realm}`,
          ]);
          if (rows[0].held) {
            this.client = client;
            return;
          }
          await sleep(RETRY_MS);
        }
      } catch {
        // The database is away: try again with a fresh connection.
      }
      await client.end().catch(() => undefined);
      await sleep(RETRY_MS);
    }
    throw new Error('leadership stopped');
  }

  /** Resolves when the lock is lost (its connection failed) or leadership is released. */
  lost(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearInterval(this.heartbeat);
        resolve();
      };
      client.once('end', done);
      client.once('error', done);
      this.heartbeat = setInterval(() => {
        client.query('SELECT 1').catch(() => done());
      }, HEARTBEAT_MS);
    });
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.release();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
