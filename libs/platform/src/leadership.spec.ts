import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { AdvisoryLockLeadership, LeadershipLoop, type Leadership, type LeaderRole } from './leadership';
import { JsonLogger } from './logger';

const logger = new JsonLogger('test', 'error');
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A leadership the test hands out and takes away. */
class FakeLeadership implements Leadership {
  readonly calls: string[] = [];
  private grant: (() => void) | undefined;
  private lose: (() => void) | undefined;
  private stopped = false;
  acquire(): Promise<void> {
    this.calls.push('acquire');
    if (this.stopped) return Promise.reject(new Error('stopped'));
    return new Promise((resolve, reject) => (this.grant = () => (this.stopped ? reject(new Error('stopped')) : resolve())));
  }
  held(): Promise<void> {
    return new Promise((resolve) => (this.lose = resolve));
  }
  async release(): Promise<void> {
    this.calls.push('release');
  }
  give(): void {
    this.grant?.();
  }
  takeAway(): void {
    this.lose?.();
  }
  stop(): void {
    this.stopped = true;
    this.grant?.();
    this.lose?.();
  }
}

class RecordingRole implements LeaderRole {
  readonly calls: string[] = [];
  endItself: (() => void) | undefined;
  standby(): void {
    this.calls.push('standby');
  }
  async lead(): Promise<{ ended: Promise<void> }> {
    this.calls.push('lead');
    return { ended: new Promise((resolve) => (this.endItself = resolve)) };
  }
  async stepDown(): Promise<void> {
    this.calls.push('stepDown');
  }
}

describe('LeadershipLoop', () => {
  it('stands by, leads once it holds the leadership, steps down when it is lost or the role ends, and starts again', async () => {
    const leadership = new FakeLeadership();
    const role = new RecordingRole();
    const loop = new LeadershipLoop(leadership, role, logger, 'test role');
    loop.start();
    await tick();
    expect(role.calls).toEqual(['standby']);
    leadership.give();
    await tick();
    expect(role.calls).toEqual(['standby', 'lead']);
    leadership.takeAway();
    await tick();
    expect(role.calls).toEqual(['standby', 'lead', 'stepDown', 'standby']);
    expect(leadership.calls).toEqual(['acquire', 'release', 'acquire']);
    leadership.give();
    await tick();
    role.endItself?.(); // fenced: ends by itself
    await tick();
    expect(role.calls).toEqual(['standby', 'lead', 'stepDown', 'standby', 'lead', 'stepDown', 'standby']);

    const stopping = loop.stop();
    leadership.stop();
    await stopping;
    expect(role.calls.at(-1)).toBe('standby'); // stopped while waiting: never leads again
  });
});

describe('AdvisoryLockLeadership', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('leadership');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('lets one instance hold the lock; another takes it once the first gives it up', async () => {
    const first = new AdvisoryLockLeadership(database.url, 'test-lock', logger, 20);
    const second = new AdvisoryLockLeadership(database.url, 'test-lock', logger, 20);
    try {
      await first.acquire();
      const firstHeld = first.held();
      let secondLeads = false;
      const secondAcquired = second.acquire().then(() => (secondLeads = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondLeads).toBe(false);
      await first.release();
      await firstHeld; // released: no longer held
      await secondAcquired;
      expect(secondLeads).toBe(true);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('refuses to acquire once stopped, also while waiting', async () => {
    const holder = new AdvisoryLockLeadership(database.url, 'stopped-lock', logger, 20);
    const waiter = new AdvisoryLockLeadership(database.url, 'stopped-lock', logger, 20);
    await holder.acquire();
    const waiting = waiter.acquire();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await waiter.stop();
    await expect(waiting).rejects.toThrow('stopped');
    await holder.stop();
  });
});
