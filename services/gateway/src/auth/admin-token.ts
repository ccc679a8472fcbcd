import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { createUnderLock } from '@coffer/event-store';
import { CONFIG, LOGGER, retryWhileDatabaseAway, waitingForPostgres, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { DB_POOL } from '../tokens';

const SETTING = 'admin_token_sha256';

/**
 * How often a gateway reads the stored hash again: `npm run coffer -- admin-token reset` replaces
 * it, and every running gateway refuses the old token within this time, no restart needed (while
 * the database is away, the hash it last read stays in force).
 */
export const ADMIN_TOKEN_REFRESH_MS = 5_000;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The bearer token of /admin. COFFER_ADMIN_TOKEN when set; otherwise generated at the first
 * start of the first gateway and shown once, and only its hash is kept (in PostgreSQL, so every
 * gateway of the deployment and every later start accept the same token). It is printed as a
 * plain line for the operator at the terminal, never into a structured log line: logs are
 * shipped, indexed and kept.
 */
@Injectable()
export class AdminToken implements OnModuleInit, OnModuleDestroy {
  private expected: Buffer | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(
    @Inject(CONFIG) private readonly config: CofferConfig,
    @Inject(DB_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.expected = this.config.adminToken ? digest(this.config.adminToken) : Buffer.from(await this.loadOrGenerate(), 'hex');
    if (!this.config.adminToken) this.refresher = setInterval(() => void this.refresh(), ADMIN_TOKEN_REFRESH_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.refresher);
  }

  /** The stored hash again (a reset replaces it); one read at a time, a failed one changes nothing. */
  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const stored = await this.pool.query<{ value: string }>('SELECT value FROM coffer_gateway.settings WHERE name = $1', [SETTING]);
      if (stored.rows[0]) this.expected = Buffer.from(stored.rows[0].value, 'hex');
    } catch {
      // The database is away: the hash last read stays in force until it answers again.
    } finally {
      this.refreshing = false;
    }
  }

  /** Constant time: both sides are hashed to the same length before the comparison. */
  matches(presented: string): boolean {
    return this.expected !== undefined && timingSafeEqual(digest(presented), this.expected);
  }

  private async loadOrGenerate(): Promise<string> {
    const token = `cadm_${randomBytes(32).toString('base64url')}`;
    const hash = digest(token).toString('hex');
    // The gateway starts right after the database was there, and it may be restarting again: wait
    // for it. A retry finds an insert whose answer was lost as its own, and still shows the token.
    const stored = await retryWhileDatabaseAway(() => this.storeUnlessSet(hash), waitingForPostgres(this.logger));
    if (stored === hash) {
      // Only the gateway whose insert won shows it; the token is never readable again.
      this.logger.event('warn', 'generated an admin token: printed once on the terminal, never logged');
      process.stdout.write(`\nCoffer admin token (shown once, keep it safe): ${token}\n\n`);
    }
    return stored;
  }

  /** The stored hash: `hash` if none was there. */
  private async storeUnlessSet(hash: string): Promise<string> {
    await this.ensureTable();
    await this.pool.query('INSERT INTO coffer_gateway.settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
      SETTING,
      hash,
    ]);
    const stored = await this.pool.query<{ value: string }>('SELECT value FROM coffer_gateway.settings WHERE name = $1', [SETTING]);
    return stored.rows[0].value;
  }

  /** Gateways start together: the advisory lock keeps concurrent CREATE … IF NOT EXISTS from racing. */
  private async ensureTable(): Promise<void> {
    await createUnderLock(this.pool, 'coffer-gateway:settings', [
      'CREATE SCHEMA IF NOT EXISTS coffer_gateway',
      'CREATE TABLE IF NOT EXISTS coffer_gateway.settings (name text PRIMARY KEY, value text NOT NULL)',
    ]);
  }

}
