import { backoffMs, DEFAULT_RETRY, isRetryableStatus, nextRetry, parseRetryAfter, retryOptions } from './retry';

describe('retry policy', () => {
  const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 2000, maxAttempts: 6, deadlineMs: 10000 };

  it('backs off exponentially with equal jitter: between half and all of base × 2^(n−1), capped', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(2000, 100 * 2 ** (attempt - 1));
      expect(backoffMs(attempt, options, () => 0)).toBe(full / 2);
      expect(backoffMs(attempt, options, () => 1)).toBe(full);
      for (let i = 0; i < 50; i++) {
        const delay = backoffMs(attempt, options);
        expect(delay).toBeGreaterThanOrEqual(full / 2);
        expect(delay).toBeLessThanOrEqual(full);
      }
    }
    // A huge attempt number neither overflows nor exceeds the cap.
    expect(backoffMs(10_000, options, () => 1)).toBe(2000);
    // A random source out of [0, 1] is clamped.
    expect(backoffMs(1, options, () => 7)).toBe(100);
    expect(backoffMs(1, options, () => -3)).toBe(50);
  });

  it('stops after maxAttempts and never starts a wait that would end past the deadline', () => {
    expect(nextRetry(5, options, 0, undefined, () => 0)).toEqual({ retry: true, delayMs: 800 });
    expect(nextRetry(6, options, 0, undefined, () => 0)).toEqual({ retry: false, reason: 'attempts' });
    expect(nextRetry(1, options, 9960, undefined, () => 0)).toEqual({ retry: false, reason: 'deadline' });
    expect(nextRetry(1, options, 9940, undefined, () => 0)).toEqual({ retry: true, delayMs: 50 });
    expect(nextRetry(1, { ...options, maxAttempts: 1 }, 0, undefined)).toEqual({ retry: false, reason: 'attempts' });
  });

  it("honours a Retry-After longer than the backoff, and gives up when it reaches past the deadline", () => {
    expect(nextRetry(1, options, 0, 3000, () => 0)).toEqual({ retry: true, delayMs: 3000 });
    expect(nextRetry(1, options, 0, 10, () => 0)).toEqual({ retry: true, delayMs: 50 });
    expect(nextRetry(1, options, 8000, 3000, () => 0)).toEqual({ retry: false, reason: 'deadline' });
  });

  it('sums to a bounded total: every schedule of retries ends within the deadline', () => {
    for (let run = 0; run < 200; run++) {
      let elapsed = 0;
      let attempt = 1;
      for (;;) {
        elapsed += Math.random() * 300; // the attempt itself
        const decision = nextRetry(attempt, options, elapsed, Math.random() < 0.3 ? Math.random() * 4000 : undefined);
        if (!decision.retry) break;
        elapsed += decision.delayMs;
        attempt++;
      }
      expect(attempt).toBeLessThanOrEqual(options.maxAttempts);
      expect(elapsed).toBeLessThan(options.deadlineMs + 300);
    }
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 30 ', now)).toBe(30000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('retries 429, 502, 503 and 504 only', () => {
    expect([400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504].filter(isRetryableStatus)).toEqual([429, 502, 503, 504]);
  });

  it('refuses options outside their bounds', () => {
    expect(retryOptions()).toEqual(DEFAULT_RETRY);
    expect(retryOptions({ maxAttempts: 1 }).maxAttempts).toBe(1);
    expect(() => retryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryOptions({ maxAttempts: 1000 })).toThrow(/maxAttempts/);
    expect(() => retryOptions({ deadlineMs: Infinity })).toThrow(/deadlineMs/);
    expect(() => retryOptions({ baseDelayMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
    expect(() => retryOptions({ attemptTimeoutMs: 1.5 })).toThrow(/attemptTimeoutMs/);
  });
});
