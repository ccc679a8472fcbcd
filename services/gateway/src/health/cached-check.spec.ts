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

  it('shares a running check within the interval only: one that never ends holds no caller after it', async () => {
    let now = 0;
    const finishers: Array<(value: string) => void> = [];
    const cached = new CachedCheck(() => new Promise<string>((resolve) => finishers.push(resolve)), 1000, () => now);
    const hung = cached.get(); // never finishes
    now = 999;
    expect(cached.get()).toBe(hung); // within the interval: the same check, running
    expect(cached.runs).toBe(1);
    now = 1000;
    const fresh = cached.get();
    expect(fresh).not.toBe(hung);
    finishers[1]('fresh');
    expect(await fresh).toBe('fresh');
    expect(cached.runs).toBe(2);
    now = 1999;
    expect(await cached.get()).toBe('fresh'); // the new check serves its own interval
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
