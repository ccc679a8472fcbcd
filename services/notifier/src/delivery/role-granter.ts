/**
 * Grants the role outbox: PUT /guilds/{guild}/members/{user}/roles/{role} with the bot token,
 * one grant at a time (every grant shares the guild's role bucket at Discord), each outcome
 * written after its attempt (afterRoleAttempt). A 429 holds back every grant until Discord's
 * retry_after. A crash between Discord's 204 and that write grants again: harmless, Discord
 * answers 204 to a role the member already holds.
 */
import type { Pool } from 'pg';
import { callDiscord, type JsonLogger } from '@coffer/platform';
import { afterRoleAttempt, type RoleRetryPolicy } from '../domain/role-grants';
import { NOTIFIER_SCHEMA } from '../store/schema';
import { AdvisoryLeader } from './advisory-leader';
import { PollingLoop } from './polling-loop';

/** How often the granter looks for due grants when nothing wakes it. */
const IDLE_POLL_MS = 250;
/** Due grants read at once (then granted one by one). */
const BATCH = 20;
/** Finished grants kept for inspection; older ones are deleted (the unlock's id no longer needs them: the checkpoint is past it). */
export const ROLE_GRANTS_KEPT = 10_000;
const PRUNE_INTERVAL_MS = 60_000;
const GRANTER_LOCK = "hashtext('coffer_notifier.role_granter')";

export interface RoleGranterOptions {
  apiUrl: string;
  botToken: string;
  guildId: string;
  retry: RoleRetryPolicy;
  timeoutMs: number;
}

export const DEFAULT_ROLE_GRANTER_TIMEOUT_MS = 10_000;

interface Due {
  seq: string;
  unlock_id: string;
  user_id: string;
  role_id: string;
  key: string;
  attempts: number;
  first_attempt_at: Date | null;
}

export class RoleGranter {
  private readonly loop: PollingLoop;
  private lastPruneAt = 0;
  /** Until when Discord asked us to wait (a 429): no grant goes before. */
  private pausedUntil = 0;
  private readonly leader: AdvisoryLeader;

  constructor(
    private readonly pool: Pool,
    private readonly logger: JsonLogger,
    private readonly options: RoleGranterOptions,
  ) {
    this.leader = new AdvisoryLeader(pool, GRANTER_LOCK);
    this.loop = new PollingLoop(logger, 'discord role grant loop', async () => {
      await this.grantDue();
      if (Date.now() - this.lastPruneAt > PRUNE_INTERVAL_MS) await this.prune();
      return Math.max(IDLE_POLL_MS, this.pausedUntil - Date.now());
    });
  }

  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.leader.release();
  }

  private async grantDue(): Promise<void> {
    if (Date.now() < this.pausedUntil || !(await this.leader.lead())) return;
    const { rows } = await this.pool.query<Due>(
      `SELECT seq::text, unlock_id, user_id, role_id, key, attempts, first_attempt_at FROM ${NOTIFIER_SCHEMA}.role_grants
        WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at, seq LIMIT $1`,
      [BATCH],
    );
    for (const due of rows) {
      if (this.loop.stopping || Date.now() < this.pausedUntil) return;
      await this.grant(due);
    }
  }

  private async grant(due: Due): Promise<void> {
    const startedAt = new Date();
    const { apiUrl, botToken, guildId, timeoutMs } = this.options;
    const answer = await callDiscord({
      apiUrl,
      method: 'PUT',
      path: `/guilds/${guildId}/members/${due.user_id}/roles/${due.role_id}`,
      botToken,
      auditLogReason: `Coffer badge ${due.key}`,
      timeoutMs,
    });
    const attempts = due.attempts + 1;
    const firstAttemptAt = due.first_attempt_at ?? startedAt;
    const attempt = answer.ok
      ? { ok: true, status: answer.status, retryAfterMs: null, error: '' }
      : { ok: false, status: answer.status, retryAfterMs: answer.retryAfterMs, error: answer.error };
    const outcome = afterRoleAttempt(attempt, attempts, firstAttemptAt.getTime(), Date.now(), this.options.retry);
    if (!answer.ok && answer.status === 429) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + (answer.retryAfterMs ?? this.options.retry.firstDelayMs));
    await this.pool.query(
      `UPDATE ${NOTIFIER_SCHEMA}.role_grants SET status = $2, attempts = $3, first_attempt_at = $4, last_attempt_at = $5,
              response_code = $6, error = $7, next_attempt_at = $8 WHERE seq = $1 AND status = 'pending'`,
      [
        due.seq,
        outcome.status,
        attempts,
        firstAttemptAt,
        startedAt,
        answer.status === 0 ? null : answer.status,
        outcome.status === 'granted' ? null : outcome.error,
        outcome.status === 'pending' ? new Date(outcome.nextAttemptAtMs) : null,
      ],
    );
    if (outcome.status === 'failed') {
      this.logger.event('warn', 'gave up a discord role grant', { unlock_id: due.unlock_id, user_id: due.user_id, role_id: due.role_id, attempts, error: outcome.error });
    }
  }

  private async prune(): Promise<void> {
    this.lastPruneAt = Date.now();
    await this.pool.query(
      `DELETE FROM ${NOTIFIER_SCHEMA}.role_grants WHERE status <> 'pending' AND seq <= (
         SELECT seq FROM ${NOTIFIER_SCHEMA}.role_grants WHERE status <> 'pending' ORDER BY seq DESC OFFSET $1 LIMIT 1)`,
      [ROLE_GRANTS_KEPT],
    );
  }
}
