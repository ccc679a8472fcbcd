import { afterFailure, retryDelayMs, type RetryPolicy } from './retry';

const policy: RetryPolicy = { firstDelayMs: 10_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };

describe('webhook retries', () => {
  it('doubles from the first delay, up to the cap, with half of it random', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([5_000, 10_000, 20_000]);
    expect(retryDelayMs(30, policy, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(1_000_000, policy, () => 1)).toBe(3_600_000);
  });

  it('gives up once the next attempt would fall beyond 24 h after the first, and not before', () => {
    const first = 0;
    const early = afterFailure(3, first, 60_000, policy, () => 1);
    expect(early).toEqual({ giveUp: false, nextAttemptAtMs: 60_000 + 40_000 });
    expect(afterFailure(20, first, 23 * 3_600_000, policy, () => 1)).toEqual({ giveUp: false, nextAttemptAtMs: 24 * 3_600_000 });
    expect(afterFailure(20, first, 23 * 3_600_000 + 1, policy, () => 1)).toEqual({ giveUp: true });
  });

  it('covers the window in a few dozen attempts at the default pace (bounded work per failing delivery)', () => {
    let now = 0;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = afterFailure(attempts, 0, now, policy, () => 0.5);
      if (next.giveUp) break;
      now = next.nextAttemptAtMs;
    }
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(50);
  });
});
