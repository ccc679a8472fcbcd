import type { ReplayedEvent } from '@coffer/event-store';
import { eventsByRealm, realmOfEvent } from './realms';

const event = (position: number, stream: string | undefined, data: object = {}): ReplayedEvent => ({
  type: 'TransactionPosted',
  stream,
  data,
  globalPosition: BigInt(position),
  occurredAt: new Date(0),
});

describe('the realm of an event', () => {
  it("is its ledger stream's, else its app's, else the default realm's", () => {
    expect(realmOfEvent(event(1, 'ledger-blue', { app_id: 'app_1' }))).toBe('blue'); // the stream wins: a grant has no app
    expect(realmOfEvent(event(2, 'ledger-default'))).toBe('default');
    expect(realmOfEvent(event(3, 'progress-app_2_blue-k-u', { app_id: 'app_2_blue' }))).toBe('blue');
    expect(realmOfEvent(event(4, 'reward-abc', { app_id: 'app_2' }))).toBe('default');
    expect(realmOfEvent(event(5, undefined))).toBe('default');
    expect(realmOfEvent(event(6, 'poison-test', { app_id: 7 }))).toBe('default');
  });

  it("splits a batch by realm, each realm's events in their order, and leaves a one-realm batch as it is", () => {
    const one = [event(1, 'ledger-blue'), event(2, 'ledger-blue')];
    expect([...eventsByRealm(one)]).toEqual([['blue', one]]);
    expect(eventsByRealm(one).get('blue')).toBe(one);
    const mixed = [event(1, 'ledger-blue'), event(2, 'ledger-default'), event(3, 'ledger-blue'), event(4, 'achievement-x', { app_id: 'app_1_green' })];
    const split = eventsByRealm(mixed);
    expect([...split.keys()]).toEqual(['blue', 'default', 'green']);
    expect(split.get('blue')!.map((e) => e.globalPosition)).toEqual([1n, 3n]);
    expect(split.get('default')!.map((e) => e.globalPosition)).toEqual([2n]);
    expect(eventsByRealm([]).size).toBe(0);
  });
});
