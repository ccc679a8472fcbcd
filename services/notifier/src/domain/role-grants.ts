/**
 * Badges become Discord roles: which unlocks ask for a role, and what becomes of a grant after
 * Discord's answer (https://discord.com/developers/docs/topics/rate-limits,
 * …/topics/opcodes-and-status-codes#http). Pure: the clock and the randomness are the caller's.
 */
import { isDiscordSnowflake, type AchievementUnlocked } from '@coffer/contracts';
import { afterFailure, type RetryPolicy } from './retry';

export interface RoleGrant {
  unlock_id: string;
  app_id: string;
  key: string;
  user_id: string;
  role_id: string;
}

/** The grant an unlock asks for: none when its achievement has no role, or the user is no Discord member (not a snowflake). */
export function roleGrantOf(unlock: AchievementUnlocked, roleOf: (appId: string, key: string) => string | undefined): RoleGrant | null {
  const role = roleOf(unlock.app_id, unlock.key);
  if (role === undefined || !isDiscordSnowflake(unlock.user_id)) return null;
  return { unlock_id: unlock.unlock_id, app_id: unlock.app_id, key: unlock.key, user_id: unlock.user_id, role_id: role };
}

export interface RoleRetryPolicy extends RetryPolicy {
  /** Attempts after which a grant is given up, however soon Discord asked us back (429s included). */
  maxAttempts: number;
}

/** Retried for a day, every attempt at most 10 minutes after the last, at most 50 attempts. */
export const DEFAULT_ROLE_RETRY_POLICY: RoleRetryPolicy = { firstDelayMs: 5_000, maxDelayMs: 600_000, windowMs: 24 * 3_600_000, maxAttempts: 50 };

/** Discord's answer to one attempt: its status (0: no answer) and, on a 429, its wait. */
export interface RoleAttempt {
  ok: boolean;
  status: number;
  retryAfterMs: number | null;
  error: string;
}

export type AfterRoleAttempt =
  | { status: 'granted' }
  | { status: 'pending'; nextAttemptAtMs: number; error: string }
  | { status: 'failed'; error: string };

/**
 * - 2xx: granted (Discord answers 204; adding a role the member holds is a 204 too, so a repeat is harmless).
 * - 429: again after Discord's retry_after, exactly (not our backoff: it says when).
 * - 5xx, no answer, 401 (a bot token being replaced): again with backoff.
 * - 403 (the role is above the bot's, or Manage Roles is missing), 404 (unknown guild, member or
 *   role), other 4xx: given up at once: asking again cannot change the answer.
 * Every retry is bounded by the policy's window and its number of attempts.
 */
export function afterRoleAttempt(attempt: RoleAttempt, attempts: number, firstAttemptAtMs: number, nowMs: number, policy: RoleRetryPolicy, random?: () => number): AfterRoleAttempt {
  if (attempt.ok) return { status: 'granted' };
  const retryable = attempt.status === 429 || attempt.status === 401 || attempt.status === 0 || attempt.status >= 500;
  if (!retryable) return { status: 'failed', error: attempt.error };
  if (attempts >= policy.maxAttempts) return { status: 'failed', error: `given up after ${attempts} attempts: ${attempt.error}` };
  if (attempt.status === 429 && attempt.retryAfterMs !== null) {
    const next = nowMs + attempt.retryAfterMs;
    if (next - firstAttemptAtMs > policy.windowMs) return { status: 'failed', error: `given up after ${attempts} attempts: ${attempt.error}` };
    return { status: 'pending', nextAttemptAtMs: next, error: attempt.error };
  }
  const next = afterFailure(attempts, firstAttemptAtMs, nowMs, policy, random);
  if (next.giveUp) return { status: 'failed', error: `given up after ${attempts} attempts: ${attempt.error}` };
  return { status: 'pending', nextAttemptAtMs: next.nextAttemptAtMs, error: attempt.error };
}
