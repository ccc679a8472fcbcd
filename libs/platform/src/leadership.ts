/**
 * One instance at a time does some work (the ledger's writer, the achievements' reward
 * reactor); the others wait to take over. Every such role runs the same loop: stand by, wait to
 * hold the leadership, take the role, keep it until the leadership is lost or the role ends by
 * itself, give it up, and start again, until stopped.
 */
import { Client } from 'pg';
import type { JsonLogger } from './logger';

/** Who may lead: a lease, a lock. */
export interface Leadership {
  /** Resolves once this instance holds it; rejects once stopped. */
  acquire(): Promise<void>;
  /** Resolves once it is lost (or released). */
  held(): Promise<void>;
  /** Gives it up (best effort). */
  release(): Promise<void>;
}

/** What is done while leading. */
export interface LeaderRole {
  /** While waiting to lead. */
  standby(): void;
  /**
   * Takes the role once the leadership is held. Resolves once leading, with `ended`: settles
   * when the role ends by itself (fenced by another leader, its work failed for good). (Wrapped:
   * a promise resolved with a promise would wait for it.)
   */
  lead(): Promise<{ ended: Promise<unknown> }>;
  /** Gives the role up: after the leadership was lost, the role ended, or it failed to start. */
  stepDown(): Promise<void>;
}

export class LeadershipLoop {
  private stopped = false;
  private loop: Promise<void> | undefined;

  /** `what`: the role's name in the logs ("writer role"). */
  constructor(
    private readonly leadership: Leadership,
    private readonly role: LeaderRole,
    private readonly logger: JsonLogger,
    private readonly what: string,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops taking the role again. The caller stops the role and the leadership itself, in the
   * order it needs (so that acquire() rejects and held() resolves), and then awaits this.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.role.standby();
      try {
        await this.leadership.acquire();
      } catch {
        return; // stopped while waiting
      }
      // Watched at once: a role that takes long to start (a cold start) keeps its leadership meanwhile.
      const held = this.leadership.held();
      try {
        const { ended } = await this.role.lead();
        await Promise.race([held, ended]);
        if (!this.stopped) this.logger.event('warn', `lost the ${this.what}`);
      } catch (error) {
        if (!this.stopped) this.logger.event('error', `could not take the ${this.what}`, { error: (error as Error).message });
      }
      await this.role.stepDown();
      await this.leadership.release();
    }
  }
}

/**
 * Leadership as a PostgreSQL session advisory lock, held by a connection of its own: lost when
 * that session dies. For work whose every step is idempotent anyway (two leaders at once cost
 * time, never correctness); a writer that must stop deciding when it could have lost the lead
 * holds a lease it renews instead (the ledger's WriterLease).
 */
export class AdvisoryLockLeadership implements Leadership {
  private client: Client | undefined;
  private lost: (() => void) | undefined;
  private stopped = false;
  private readonly wakers = new Set<() => void>();

  /** `retryMs`: how often a standby tries to take the lock. */
  constructor(
    private readonly databaseUrl: string,
    private readonly lock: string,
    private readonly logger: JsonLogger,
    private readonly retryMs: number = 1000,
  ) {}

  async acquire(): Promise<void> {
    while (!this.stopped) {
      const client = new Client({ connectionString: this.databaseUrl });
      client.on('error', () => this.sessionDied(client));
      try {
        await client.connect();
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lock]);
        if (rows[0].locked && !this.stopped) {
          this.client = client;
          return;
        }
      } catch (error) {
        this.logger.event('warn', 'leadership lock unavailable', { lock: this.lock, error: (error as Error).message });
      }
      await client.end().catch(() => undefined);
      await this.pause();
    }
    throw new Error(`the leadership lock ${this.lock} is stopped`);
  }

  held(): Promise<void> {
    if (!this.client) return Promise.resolve();
    return new Promise((resolve) => (this.lost = resolve));
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.lost?.();
    this.lost = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Stops trying to take the lock, and gives it up. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await this.release();
  }

  /** The lock's session died: the lock is gone with it. */
  private sessionDied(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.lost?.();
    this.lost = undefined;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.retryMs);
      this.wakers.add(wake);
    });
  }
}
