/**
 * When a failed delivery is tried again: exponential backoff with jitter, capped, for a retry
 * window (24 h) after its first attempt, then given up (recorded as failed, and the webhook's
 * next delivery goes). Pure: the clock and the randomness are the caller's.
 */
export interface RetryPolicy {
  /** Wait after the first failure (before jitter). */
  firstDelayMs: number;
  /** Longest wait between two attempts. */
  maxDelayMs: number;
  /** After this long since the first attempt, a failing delivery is given up. */
  windowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelayMs: 10_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };

/**
 * The wait after failed attempt number `attempts` (from 1): first × 2^(attempts−1), capped, of
 * which a random half is taken off ("equal jitter"), so webhooks that failed together (a
 * receiver's outage) do not all come back at the same instant.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** What becomes of a delivery whose attempt failed: the time of its next attempt, or given up. */
export function afterFailure(
  attempts: number,
  firstAttemptAtMs: number,
  nowMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): { giveUp: true } | { giveUp: false; nextAttemptAtMs: number } {
  const next = nowMs + retryDelayMs(attempts, policy, random);
  if (next - firstAttemptAtMs > policy.windowMs) return { giveUp: true };
  return { giveUp: false, nextAttemptAtMs: next };
}
