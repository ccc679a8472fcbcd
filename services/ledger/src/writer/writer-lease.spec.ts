import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { WriterLease, type LeaseTiming } from './writer-lease';

/** Short, so the edges are quick to reach; the same ratios as the defaults. */
const TIMING: LeaseTiming = { ttlMs: 600, renewIntervalMs: 100, safetyMarginMs: 200, acquireIntervalMs: 50 };

describe('WriterLease (a lease in PostgreSQL the holder must keep renewing)', () => {
  let database: TestDatabase;
  const leases: WriterLease[] = [];

  const lease = (holder: string, timing = TIMING) => {
    const created = new WriterLease(database.url, 'default', holder, timing);
    leases.push(created);
    return created;
  };
  /** Resolves with the time the lease was taken, or undefined if not within `ms`. */
  const acquiredWithin = async (contender: WriterLease, ms: number): Promise<number | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const taken = contender.acquire().then(() => Date.now());
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    taken.catch(() => undefined); // stopped by afterEach while still trying
    const result = await Promise.race([taken, timeout]);
    clearTimeout(timer);
    return result;
  };

  beforeEach(async () => {
    database = await createTestDatabase('writer_lease');
  });

  afterEach(async () => {
    await Promise.all(leases.splice(0).map((each) => each.stop()));
    await database.drop();
  });

  it('keeps the lease while it renews: a standby waits for as long as that goes on', async () => {
    const active = lease('active');
    await active.acquire();
    let lost = false;
    void active.held().then(() => (lost = true));
    const standby = lease('standby');
    expect(await acquiredWithin(standby, 3 * TIMING.ttlMs)).toBeUndefined();
    expect(lost).toBe(false);
    expect(active.valid()).toBe(true);
  });

  it('is taken by the standby one TTL after the last renewal, not before, though the holder lives on', async () => {
    const frozen = lease('frozen');
    await frozen.acquire(); // and never renews, like a SIGSTOPped process
    const renewedAt = Date.now();
    const standby = lease('standby');
    const takenAt = await acquiredWithin(standby, 5 * TIMING.ttlMs);
    expect(takenAt).toBeDefined();
    // At the TTL (measured from just after the holder's renewal): still held; a poll later: taken.
    expect(takenAt! - renewedAt).toBeGreaterThanOrEqual(TIMING.ttlMs - 50);
    expect(takenAt! - renewedAt).toBeLessThan(TIMING.ttlMs + TIMING.acquireIntervalMs + 250);
  });

  it('stops the holder deciding a margin before its lease can expire, by its own clock', async () => {
    const holder = lease('holder');
    let now = 1_000;
    holder.now = () => now;
    await holder.acquire();
    now += TIMING.ttlMs - TIMING.safetyMarginMs - 1;
    expect(holder.valid()).toBe(true);
    now += 1;
    expect(holder.valid()).toBe(false);
  });

  it('tells a holder whose own clock missed the lapse that it lost the lease, at its first renewal', async () => {
    const sleeper = lease('sleeper');
    await sleeper.acquire();
    const stuck = performance.now();
    sleeper.now = () => stuck; // a clock that did not see the time go by: the database must say it
    const successor = lease('successor');
    await successor.acquire(); // after the sleeper's TTL
    void successor.held();
    expect(sleeper.valid()).toBe(true);
    await sleeper.held(); // its renewal finds the lease taken
    expect(sleeper.valid()).toBe(false);
    expect(successor.valid()).toBe(true);
  });

  it('hands over at once when the holder releases it (a graceful stop)', async () => {
    const leaving = lease('leaving');
    await leaving.acquire();
    void leaving.held();
    const standby = lease('standby');
    const contended = acquiredWithin(standby, 5 * TIMING.ttlMs);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const releasedAt = Date.now();
    await leaving.release();
    const takenAt = await contended;
    expect(takenAt! - releasedAt).toBeLessThan(TIMING.ttlMs / 2);
  });
});
