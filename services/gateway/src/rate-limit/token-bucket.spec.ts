import { RateLimiter, TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('grants a full burst at once, then refuses until tokens flow back', () => {
    const bucket = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(1);
    expect(bucket.take(99)).toBe(1); // 0.99 of a token: still short
    expect(bucket.take(100)).toBe(0); // 100 ms at 10/s is one token
    expect(bucket.take(100)).toBe(1);
  });

  it('holds a busy client to the rate', () => {
    const bucket = new TokenBucket(5, 10, 0);
    let granted = 0;
    for (let ms = 0; ms <= 10_000; ms += 10) if (bucket.take(ms) === 0) granted++;
    // the burst (10) plus 5 per second for 10 s
    expect(granted).toBe(60);
  });

  it('never holds more than its capacity, however long it idles', () => {
    const bucket = new TokenBucket(1, 2, 0);
    expect([bucket.take(3_600_000), bucket.take(3_600_000), bucket.take(3_600_000)]).toEqual([0, 0, 1]);
  });

  it('says how many whole seconds until the next token at slow rates', () => {
    const bucket = new TokenBucket(0.25, 1, 0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(4);
    expect(bucket.take(3000)).toBe(1);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(0)).toBe(1);
  });
});

describe('RateLimiter', () => {
  it('bursts twice the rate per app, each app on its own bucket', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    const burst = Array.from({ length: 7 }, () => limiter.take('app_a'));
    expect(burst.slice(0, 6).every((verdict) => verdict.allowed)).toBe(true);
    expect(burst[6]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('app_b')).toEqual({ allowed: true });
    now = 1000;
    expect(Array.from({ length: 4 }, () => limiter.take('app_a').allowed)).toEqual([true, true, true, false]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(/positive/);
  });
});
