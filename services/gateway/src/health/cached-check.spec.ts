import { CachedCheck, READY_CACHE_MS } from './cached-check';

describe('CachedCheck', () => {
  it(`answers from the last check until ${READY_CACHE_MS} ms after it started, then checks again`, async () => {
    let now = 0;
    let value = 0;
    const cached = new CachedCheck(async () => ++value, READY_CACHE_MS, () => now);
    expect(await cached.get()).toBe(1);
    now = READY_CACHE_MS - 1;
    expect(await cached.get()).toBe(1);
    now = READY_CACHE_MS;
    expect(await cached.get()).toBe(2);
    expect(cached.runs).toBe(2);
  });

  it('shares a check that is still running, however long it takes', async () => {
    let now = 0;
    const finishers: Array<(value: string) => void> = [];
    const cached = new CachedCheck(() => new Promise<string>((resolve) => finishers.push(resolve)), 1000, () => now);
    const first = cached.get();
    now = 5000;
    const second = cached.get();
    finishers[0]('slow');
    expect(await Promise.all([first, second])).toEqual(['slow', 'slow']);
    expect(cached.runs).toBe(1);
    const third = cached.get(); // finished, but started more than a second ago: it runs again
    finishers[1]('fresh');
    expect(await third).toBe('fresh');
    expect(cached.runs).toBe(2);
  });

  it('a flood of callers within the interval costs one check', async () => {
    let now = 0;
    const cached = new CachedCheck(async () => 'ready', READY_CACHE_MS, () => now);
    for (let i = 0; i < 1000; i++) {
      now = i * 0.999;
      await cached.get();
    }
    expect(cached.runs).toBe(1);
  });
});
