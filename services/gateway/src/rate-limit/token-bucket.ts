/**
 * A token bucket: `ratePerSecond` tokens flow in continuously up to `capacity`; each request
 * takes one. Idle apps can burst up to the capacity, busy ones are held to the rate.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = nowMs;
  }

  /** Takes a token: 0 when granted, else the whole seconds to wait before one is there (≥ 1). */
  take(nowMs: number): number {
    const wait = this.peek(nowMs);
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /** Like take, without taking: 0 when a token is there, else the whole seconds to wait (≥ 1). */
  peek(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.updatedAt) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.ratePerSecond);
    this.updatedAt = Math.max(this.updatedAt, nowMs);
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One bucket per app (apps are few: registered by an operator), burst twice the rate. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`the rate limit must be positive, got ${ratePerSecond}`);
  }

  take(appId: string): RateVerdict {
    const now = this.clock();
    let bucket = this.buckets.get(appId);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond, this.ratePerSecond * 2, now);
      this.buckets.set(appId, bucket);
    }
    const wait = bucket.take(now);
    return wait === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: wait };
  }
}
