import { Pool } from 'pg';
import { guardPool, sleep } from '@coffer/platform';
import { createUnderLock } from '@coffer/event-store';
import { LEDGER_DDL_LOCK } from './ledger-schema';

export interface LeaseTiming {
  /** How long one renewal holds the lease, counted by the database's clock. */
  ttlMs: number;
  /** The holder renews this often. */
  renewIntervalMs: number;
  /**
   * The holder stops deciding this long before the lease it last renewed could expire: covers
   * an append sent just before that moment and clock rates that differ a little.
   */
  safetyMarginMs: number;
  /** A standby tries to take an expired lease this often. */
  acquireIntervalMs: number;
}

/**
 * A frozen writer is replaced about one TTL after its last renewal (plus at most one acquire
 * interval, plus the takeover itself): within about 1.2 s. A live writer whose renewals stall
 * for longer than TTL − margin (0.7 s: the database or its own event loop stuck that long) steps
 * down, and another (or itself) takes over.
 */
export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  ttlMs: 1000,
  renewIntervalMs: 200,
  safetyMarginMs: 300,
  acquireIntervalMs: 100,
};

const TABLE = 'coffer_ledger.writer_leases';

/**
 * Who may write a realm: the holder of a lease in PostgreSQL (a row per realm: holder, term,
 * and an expiry set from the database's clock). The holder must keep renewing it: a writer that
 * stops making progress (frozen, its event loop stuck, cut off from the database) loses it
 * within one TTL even though its process and TCP sessions live, which a session advisory lock
 * never did. It also stops deciding on its own once its lease may have lapsed: `valid()`,
 * checked before every batch, counts on its own monotonic clock from the moment it sent its
 * last successful renewal, minus a margin.
 *
 * The lease only decides who tries to write. What fences a writer that lost it without noticing
 * is the stream revision (WriterTermStarted, see LedgerWriter): correctness never rests on clocks.
 */
export class WriterLease {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;
  private term: string | undefined;
  /** performance.now() until which this holder may decide (0: it holds nothing). */
  private validUntil = 0;
  private renewer: NodeJS.Timeout | undefined;
  private onLost: (() => void) | undefined;
  private stopped = false;
  /** Milliseconds monotonic clock; tests replace it. */
  now: () => number = () => performance.now();

  constructor(
    databaseUrl: string,
    private readonly realm: string,
    private readonly holder: string,
    private readonly timing: LeaseTiming = DEFAULT_LEASE_TIMING,
  ) {
    // A connection of its own, so renewals never wait behind appends. A renewal that hangs
    // (server stuck) is abandoned after a TTL: by then the lease may be gone anyway.
    this.pool = guardPool(
      new Pool({ connectionString: databaseUrl, max: 1, query_timeout: timing.ttlMs, connectionTimeoutMillis: timing.ttlMs }),
    );
  }

  /** Whether this holder may still decide: its lease cannot have expired yet, by its own clock. */
  valid(): boolean {
    return this.now() < this.validUntil;
  }

  /** Resolves once this instance holds the lease (tries every acquireIntervalMs; rejects when stopped first). */
  async acquire(): Promise<void> {
    while (!this.stopped) {
      const sentAt = this.now();
      try {
        await this.ensureTable();
        const { rows } = await this.pool.query<{ term: string }>(
          `INSERT INTO ${TABLE} AS lease (realm, holder, term, expires_at)
                VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
           ON CONFLICT (realm) DO UPDATE
                   SET holder = excluded.holder, term = lease.term + 1, expires_at = excluded.expires_at
                 WHERE lease.expires_at <= clock_timestamp()
           RETURNING term::text`,
          [this.realm, this.holder, this.timing.ttlMs],
        );
        if (rows.length === 1 && !this.stopped) {
          this.term = rows[0].term;
          this.validUntil = sentAt + this.timing.ttlMs - this.timing.safetyMarginMs;
          return;
        }
      } catch {
        // The database is away: try again at the next interval.
      }
      await sleep(this.timing.acquireIntervalMs);
    }
    throw new Error('the writer lease is stopped');
  }

  /**
   * Keeps renewing the lease until it is lost: the database says another holder has it (or it
   * expired there), or no renewal succeeded in time by this holder's own clock. Resolves then.
   */
  held(): Promise<void> {
    return new Promise((resolve) => {
      this.onLost = () => {
        this.onLost = undefined;
        clearTimeout(this.renewer);
        this.validUntil = 0;
        resolve();
      };
      if (!this.valid()) return this.onLost();
      this.scheduleRenewal();
    });
  }

  /** Gives the lease up now (best effort), so a standby takes over at its next try. */
  async release(): Promise<void> {
    clearTimeout(this.renewer);
    this.onLost?.();
    this.validUntil = 0;
    const term = this.term;
    this.term = undefined;
    if (term === undefined) return;
    await this.pool
      .query(`UPDATE ${TABLE} SET expires_at = clock_timestamp() WHERE realm = $1 AND holder = $2 AND term = $3`, [
        this.realm,
        this.holder,
        term,
      ])
      .catch(() => undefined); // the database is away: the lease expires by itself
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.release();
    await this.pool.end().catch(() => undefined);
  }

  private scheduleRenewal(): void {
    // Wakes at the next renewal, or when validity runs out if that comes first.
    const untilInvalid = Math.max(0, this.validUntil - this.now());
    this.renewer = setTimeout(() => void this.renew(), Math.min(this.timing.renewIntervalMs, untilInvalid));
  }

  private async renew(): Promise<void> {
    if (!this.onLost) return;
    if (!this.valid()) return this.onLost();
    const sentAt = this.now();
    try {
      // Never revives a lease that expired in the database: another may have taken it, or may
      // be about to, counting on that expiry.
      const { rowCount } = await this.pool.query(
        `UPDATE ${TABLE} SET expires_at = clock_timestamp() + $4 * interval '1 millisecond'
          WHERE realm = $1 AND holder = $2 AND term = $3 AND expires_at > clock_timestamp()`,
        [this.realm, this.holder, this.term, this.timing.ttlMs],
      );
      if (!this.onLost) return;
      if (rowCount !== 1) return this.onLost();
      this.validUntil = Math.max(this.validUntil, sentAt + this.timing.ttlMs - this.timing.safetyMarginMs);
    } catch {
      // The database is away: the lease runs out by itself unless a later renewal gets through.
    }
    if (!this.onLost) return;
    if (!this.valid()) return this.onLost();
    this.scheduleRenewal();
  }

  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      await createUnderLock(this.pool, LEDGER_DDL_LOCK, [
        'CREATE SCHEMA IF NOT EXISTS coffer_ledger',
        `CREATE TABLE IF NOT EXISTS ${TABLE} (
             realm text PRIMARY KEY, holder text NOT NULL, term bigint NOT NULL, expires_at timestamptz NOT NULL)`,
      ]);
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

