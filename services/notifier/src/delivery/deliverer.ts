/**
 * Delivers the outbox: for each webhook, its oldest pending delivery only, so deliveries arrive
 * in order per webhook and a failing one holds back the later ones of its webhook (and of no
 * other). Each attempt's outcome is written after it: a crash between the receiver's answer and
 * that write delivers again (at least once; the body's `id` lets a receiver drop the double).
 */
import type { Pool } from 'pg';
import { retryDelayMs as backoffMs, sleep, type JsonLogger } from '@coffer/platform';
import { AdvisoryLeader } from './advisory-leader';
import { PollingLoop } from './polling-loop';
import { afterFailure, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../domain/signature';
import type { TargetRules } from '../domain/target';
import { NOTIFIER_SCHEMA } from '../store/schema';
import { attemptDelivery, DELIVERY_TIMEOUT_MS, type AttemptResult } from './http-target';

/** Most deliveries in flight at once (over all webhooks). */
export const MAX_CONCURRENT_DELIVERIES = 16;
/** Finished deliveries kept per webhook for its log; older ones are deleted. */
export const DELIVERIES_KEPT_PER_WEBHOOK = 1_000;
/** How often the deliverer looks for due retries when nothing wakes it. */
const IDLE_POLL_MS = 250;
const PRUNE_INTERVAL_MS = 60_000;
/** One deliverer at a time per database (advisory-leader.ts): a standby takes over within IDLE_POLL_MS. */
const DELIVERER_LOCK = "hashtext('coffer_notifier.deliverer')";

export interface DelivererOptions {
  rules: TargetRules;
  retry: RetryPolicy;
  timeoutMs: number;
  concurrency: number;
  keptPerWebhook: number;
  /** COFFER_IDEMPOTENCY_RETENTION_HOURS: how long a deleted webhook's registration is remembered for replays. */
  idempotencyRetentionHours: number;
}

export const DEFAULT_DELIVERER_OPTIONS: Omit<DelivererOptions, 'rules'> = {
  retry: DEFAULT_RETRY_POLICY,
  timeoutMs: DELIVERY_TIMEOUT_MS,
  concurrency: MAX_CONCURRENT_DELIVERIES,
  keptPerWebhook: DELIVERIES_KEPT_PER_WEBHOOK,
  idempotencyRetentionHours: 72,
};

interface Head {
  seq: string;
  delivery_id: string;
  webhook_id: string;
  body: string;
  attempts: number;
  first_attempt_at: Date | null;
  url: string;
  secret: string;
}

export class Deliverer {
  private readonly loop: PollingLoop;
  private readonly inFlight = new Map<string, Promise<void>>();
  private lastPruneAt = 0;
  private readonly leader: AdvisoryLeader;

  constructor(
    private readonly pool: Pool,
    private readonly logger: JsonLogger,
    private readonly options: DelivererOptions,
  ) {
    this.leader = new AdvisoryLeader(pool, DELIVERER_LOCK);
    this.loop = new PollingLoop(logger, 'webhook delivery loop', async () => {
      await this.dispatchDue();
      if (Date.now() - this.lastPruneAt > PRUNE_INTERVAL_MS) await this.prune();
      return IDLE_POLL_MS;
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Something was enqueued or a slot freed: look now rather than at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight.values());
    await this.leader.release();
  }

  /** Starts an attempt for each webhook whose oldest pending delivery is due, up to the concurrency. */
  private async dispatchDue(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0 || !(await this.leader.lead())) return;
    const { rows } = await this.pool.query<Head>(
      `SELECT h.seq::text, h.delivery_id, h.webhook_id::text, h.body, h.attempts, h.first_attempt_at, w.url, w.secret
         FROM (SELECT DISTINCT ON (webhook_id) * FROM ${NOTIFIER_SCHEMA}.outbox WHERE status = 'pending' ORDER BY webhook_id, seq) h
         JOIN ${NOTIFIER_SCHEMA}.webhooks w ON w.webhook_id = h.webhook_id AND w.deleted_at IS NULL
        WHERE h.next_attempt_at <= now() AND NOT (h.webhook_id = ANY($1::bigint[]))
        ORDER BY h.next_attempt_at
        LIMIT $2`,
      [[...this.inFlight.keys()], free],
    );
    for (const head of rows) {
      const attempt = this.attempt(head).finally(() => {
        this.inFlight.delete(head.webhook_id);
        this.nudge();
      });
      this.inFlight.set(head.webhook_id, attempt);
    }
  }

  private async attempt(head: Head): Promise<void> {
    const startedAt = new Date();
    const t = Math.floor(startedAt.getTime() / 1000);
    const result = await attemptDelivery(
      {
        url: head.url,
        body: head.body,
        headers: { [SIGNATURE_HEADER]: signatureHeader(head.body, head.secret, t), [DELIVERY_ID_HEADER]: head.delivery_id },
      },
      this.options.rules,
      this.options.timeoutMs,
    );
    for (let tries = 1; !this.loop.stopping || tries === 1; tries++) {
      try {
        await this.record(head, startedAt, result);
        return;
      } catch (error) {
        // Not recorded: the delivery stays due and is sent again (at least once).
        if (tries >= 5) {
          this.logger.event('error', 'could not record a webhook delivery attempt', { delivery_id: head.delivery_id, error: (error as Error).message });
          return;
        }
        await sleep(backoffMs(tries));
      }
    }
  }

  private async record(head: Head, startedAt: Date, result: AttemptResult): Promise<void> {
    const attempts = head.attempts + 1;
    const firstAttemptAt = head.first_attempt_at ?? startedAt;
    if (result.ok) {
      await this.pool.query(
        `UPDATE ${NOTIFIER_SCHEMA}.outbox SET status = 'delivered', attempts = $2, first_attempt_at = $3, last_attempt_at = $4,
                response_code = $5, error = NULL, next_attempt_at = NULL WHERE seq = $1 AND status = 'pending'`,
        [head.seq, attempts, firstAttemptAt, startedAt, result.status],
      );
      return;
    }
    const next = afterFailure(attempts, firstAttemptAt.getTime(), Date.now(), this.options.retry);
    await this.pool.query(
      `UPDATE ${NOTIFIER_SCHEMA}.outbox SET status = $2, attempts = $3, first_attempt_at = $4, last_attempt_at = $5,
              response_code = $6, error = $7, next_attempt_at = $8 WHERE seq = $1 AND status = 'pending'`,
      [
        head.seq,
        next.giveUp ? 'failed' : 'pending',
        attempts,
        firstAttemptAt,
        startedAt,
        result.status,
        next.giveUp ? `given up after ${attempts} attempts: ${result.error}` : result.error,
        next.giveUp ? null : new Date(next.nextAttemptAtMs),
      ],
    );
    if (next.giveUp) this.logger.event('warn', 'gave up a webhook delivery', { webhook_id: head.webhook_id, delivery_id: head.delivery_id, attempts });
  }

  /** Keeps the log bounded: each webhook's newest finished deliveries, and nothing of deleted webhooks. */
  private async prune(): Promise<void> {
    this.lastPruneAt = Date.now();
    await this.pool.query(
      `DELETE FROM ${NOTIFIER_SCHEMA}.outbox o USING (
         SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY webhook_id ORDER BY seq DESC) AS n
                            FROM ${NOTIFIER_SCHEMA}.outbox WHERE status <> 'pending') ranked WHERE n > $1) old
        WHERE o.seq = old.seq`,
      [this.options.keptPerWebhook],
    );
    // A deleted webhook's row is kept only while its registration's Idempotency-Key is remembered.
    await this.pool.query(`DELETE FROM ${NOTIFIER_SCHEMA}.webhooks WHERE deleted_at < now() - make_interval(hours => $1)`, [
      this.options.idempotencyRetentionHours,
    ]);
  }
}
