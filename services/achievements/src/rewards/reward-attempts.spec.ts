import type { RecordedEvent } from '@coffer/event-store';
import { retryAt, rewardCommandId, rewardStanding } from './reward-attempts';

const recorded = (type: string, data: object, streamPosition: bigint): RecordedEvent =>
  ({ id: 'e', type, data, metadata: null, stream: 'reward-u1', streamPosition, globalPosition: 10n + streamPosition, createdAt: new Date() }) as unknown as RecordedEvent;

describe('where a reward stands', () => {
  it('is unpaid with no event: attempt 1, appended expecting no stream', () => {
    expect(rewardStanding(undefined)).toEqual({ kind: 'unpaid', attempt: 1, revision: 'no_stream' });
  });

  it('after RewardWithheld of attempt n: attempt n + 1 from its retry_at, appended after that event', () => {
    const last = recorded('RewardWithheld', { attempt: 2, retry_at: '2026-12-02T00:00:00.000Z' }, 1n);
    expect(rewardStanding(last)).toEqual({ kind: 'withheld', attempt: 3, retry_at: '2026-12-02T00:00:00.000Z', revision: 1n });
  });

  it('is granted after RewardGranted', () => {
    expect(rewardStanding(recorded('RewardGranted', {}, 2n))).toEqual({ kind: 'granted' });
  });

  it('refuses a stream holding anything else (the store or the code is wrong)', () => {
    expect(() => rewardStanding(recorded('ProgressRecorded', {}, 0n))).toThrow(/holds ProgressRecorded/);
  });
});

describe('the command id of an attempt', () => {
  it("keeps the first attempt's id as rewards always had it, and gives each later attempt its own", () => {
    expect(rewardCommandId('app_1', 'u1')).toBe('app_1:reward:u1');
    expect(rewardCommandId('app_1', 'u1', 1)).toBe('app_1:reward:u1');
    expect(rewardCommandId('app_1', 'u1', 2)).toBe('app_1:reward:u1:attempt-2');
    expect(new Set([1, 2, 3, 4].map((attempt) => rewardCommandId('app_1', 'u1', attempt))).size).toBe(4);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %p', (attempt) => {
    expect(() => rewardCommandId('app_1', 'u1', attempt)).toThrow(/not a positive integer/);
  });
});

describe('when a refused reward is tried again', () => {
  it.each([
    ['2026-12-01T13:45:00.000Z', '2026-12-02T00:00:00.000Z'],
    ['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'], // refused at midnight: the limit just started afresh and still refused
    ['2026-12-01T23:59:59.999Z', '2026-12-02T00:00:00.000Z'],
    ['2026-12-31T18:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-28T10:00:00.000Z', '2028-02-29T00:00:00.000Z'],
  ])('refused at %s: at %s, the next UTC day', (refusedAt, expected) => {
    expect(retryAt(new Date(refusedAt)).toISOString()).toBe(expected);
  });
});
