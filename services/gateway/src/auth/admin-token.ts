import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { createUnderLock } from '@coffer/event-store';
import { CONFIG, LOGGER, retryWhileDatabaseAway, waitingForPostgres, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { DB_POOL } from '../tokens';

const SETTING = 'admin_token_sha256';

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
export class AdminToken implements OnModuleInit {
  private expected: Buffer | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: CofferConfig,
    @Inject(DB_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.expected = this.config.adminToken ? digest(this.config.adminToken) : Buffer.from(await this.loadOrGenerate(), 'hex');
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
