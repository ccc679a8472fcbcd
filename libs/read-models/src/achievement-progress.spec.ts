import type { ReplayedEvent } from '@coffer/event-store';
import { foldAchievementProgress, statsView } from './achievement-progress';

let position = 0n;
const event = (type: string, data: object): ReplayedEvent => ({ type, data, globalPosition: ++position, occurredAt: new Date(0) });
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const of = (user_id: string) => ({ app_id: 'app_1', key: 'blackjack', user_id });

const progressed = (user: string, progress: number, second: number) => event('ProgressRecorded', { ...of(user), progress, recorded_at: iso(second) });
const unlocked = (user: string, second: number) =>
  event('AchievementUnlocked', { ...of(user), unlock_id: `u-${user}`, unlocked_at: iso(second), reward: null });
const granted = (user: string, transaction_id: number, second: number) =>
  event('RewardGranted', { ...of(user), unlock_id: `u-${user}`, transaction_id, amount: '5', currency: 'coins', granted_at: iso(second) });

describe('achievement progress: the fold of a batch', () => {
  it('folds a user progress, unlock and reward into one row', () => {
    const batch = foldAchievementProgress([progressed('alice', 1, 1), progressed('alice', 3, 2), unlocked('alice', 2), granted('alice', 42, 4)]);
    expect([...batch.values()]).toEqual([
      { ...of('alice'), progress: 3, unlocked_at: iso(2), reward_transaction_id: 42, updated_at: iso(4) },
    ]);
  });

  it('keeps one row per user, progress only ever up and time only ever forward', () => {
    const batch = foldAchievementProgress([progressed('alice', 2, 5), progressed('bob', 1, 1), progressed('alice', 1, 3)]);
    expect([...batch.values()]).toEqual([
      { ...of('alice'), progress: 2, unlocked_at: null, reward_transaction_id: null, updated_at: iso(5) },
      { ...of('bob'), progress: 1, unlocked_at: null, reward_transaction_id: null, updated_at: iso(1) },
    ]);
  });

  it('a reward alone (its unlock in an earlier batch) changes the reward and nothing else', () => {
    const batch = foldAchievementProgress([granted('carol', 7, 9)]);
    expect([...batch.values()]).toEqual([{ ...of('carol'), progress: 0, unlocked_at: null, reward_transaction_id: 7, updated_at: iso(9) }]);
  });

  it('skips definitions and other contexts', () => {
    expect(foldAchievementProgress([event('AchievementRegistered', { app_id: 'app_1', key: 'k' }), event('EventOpened', {})]).size).toBe(0);
  });
});

describe('achievement statistics', () => {
  it('rounds the unlock rate to four places, and is 0 when nobody made progress', () => {
    expect(statsView('k', 3, 1)).toEqual({ key: 'k', users_with_progress: 3, unlocked_count: 1, unlock_rate: 0.3333 });
    expect(statsView('k', 0, 0).unlock_rate).toBe(0);
  });
});
