/**
 * When to send a request again and how long to wait first. Pure: the transport asks, these
 * answer from the attempt number, the clock and a random number it passes in, so the bounds are
 * tested without waiting.
 *
 * A write is only retried because it carries the same Idempotency-Key every time: the gateway
 * answers a repeat with the first outcome and changes nothing, so "did my debit go through?"
 * after a lost answer is settled by asking again.
 */

export interface RetryOptions {
  /** Most times one call is sent, the first included (default 5). 1 turns retries off. */
  maxAttempts: number;
  /** The first backoff (default 200 ms): attempt n waits about baseDelayMs × 2^(n−1). */
  baseDelayMs: number;
  /** The longest backoff between two attempts (default 5 s). */
  maxDelayMs: number;
  /** The most one call may take, every attempt and wait included (default 30 s). */
  deadlineMs: number;
  /** The longest one attempt may wait for its answer (default 10 s). */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  deadlineMs: 30000,
  attemptTimeoutMs: 10000,
};

/** Hard ceilings on what a caller may configure: a typo must not mean a retry loop for hours. */
export const RETRY_LIMITS = { maxAttempts: 20, maxDelayMs: 60000, deadlineMs: 10 * 60000, attemptTimeoutMs: 5 * 60000 };

/** The defaults with the caller's changes, each checked against its bound. */
export function retryOptions(given: Partial<RetryOptions> = {}): RetryOptions {
  const options = { ...DEFAULT_RETRY, ...given };
  const check = (name: keyof RetryOptions, min: number, max: number) => {
    const value = options[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`retry.${name} must be an integer from ${min} to ${max} (got ${value})`);
    }
  };
  check('maxAttempts', 1, RETRY_LIMITS.maxAttempts);
  check('baseDelayMs', 1, RETRY_LIMITS.maxDelayMs);
  check('maxDelayMs', options.baseDelayMs, RETRY_LIMITS.maxDelayMs);
  check('deadlineMs', 1, RETRY_LIMITS.deadlineMs);
  check('attemptTimeoutMs', 1, RETRY_LIMITS.attemptTimeoutMs);
  return options;
}

/**
 * Statuses whose outcome is unknown or that ask to come back: 503 (the API's "retry with the
 * same key"), 429 (rate limited), and 502/504, what a load balancer in front of a gateway says
 * when the gateway went away mid-request.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * The backoff before attempt `attempt + 1` (attempt ≥ 1 just failed): exponential, capped at
 * maxDelayMs, with "equal jitter" (half fixed, half random) so many clients that failed together
 * do not come back together, yet none retries at once.
 */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const half = exponential / 2;
  return Math.round(half + half * Math.min(Math.max(random(), 0), 1));
}

/**
 * Retry-After (RFC 9110): delay-seconds or an HTTP date, in milliseconds from `now`; undefined
 * when absent or unreadable (then the backoff alone decides).
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header == null) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP date ends in GMT (RFC 9110 §5.6.7); Date.parse alone would read '-1' as a year.
  if (!/ GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'attempts' | 'deadline' };

/**
 * Whether to send again after attempt `attempt` failed in a retryable way, and after how long:
 * the backoff, or the server's Retry-After when that is longer; never past the attempts or the
 * deadline (a wait that would end after the deadline is not started).
 */
export function nextRetry(
  attempt: number,
  options: RetryOptions,
  elapsedMs: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt >= options.maxAttempts) return { retry: false, reason: 'attempts' };
  const delayMs = Math.max(backoffMs(attempt, options, random), retryAfterMs ?? 0);
  if (elapsedMs + delayMs >= options.deadlineMs) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}
