import type { ReplayedEvent } from '@coffer/event-store';
import { foldAchievements } from './achievements';

let position = 0n;
const event = (type: string, data: object): ReplayedEvent => ({ type, data, globalPosition: ++position, occurredAt: new Date(0) });
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

const registered = (key: string, extra: object = {}) =>
  event('AchievementRegistered', {
    app_id: 'app_1',
    key,
    name: 'Natural 21',
    description: 'first blackjack',
    icon_url: null,
    goal: 3,
    hidden: false,
    reward: { amount: '5', currency: 'coins' },
    registered_at: iso(0),
    ...extra,
  });
const updated = (key: string, changes: object, second: number) =>
  event('AchievementUpdated', { app_id: 'app_1', key, changes, updated_at: iso(second) });

describe('achievement definitions: the fold of a batch', () => {
  it('writes an achievement registered and updated in the same batch as one row in its last state', () => {
    const batch = foldAchievements([registered('blackjack'), updated('blackjack', { name: 'Renamed', description: null }, 10)]);
    expect([...batch.registered.values()]).toEqual([
      {
        app_id: 'app_1',
        key: 'blackjack',
        name: 'Renamed',
        description: null,
        icon_url: null,
        goal: 3,
        hidden: false,
        reward_amount: '5',
        reward_currency: 'coins',
        created_at: iso(0),
        updated_at: iso(10),
      },
    ]);
    expect(batch.changed.size).toBe(0);
  });

  it('merges the updates of an achievement registered in an earlier batch into one change, the last update winning', () => {
    const batch = foldAchievements([
      updated('old', { name: 'First', hidden: true }, 10),
      updated('old', { name: 'Second', icon_url: 'https://example.com/i.png' }, 20),
    ]);
    expect(batch.registered.size).toBe(0);
    expect([...batch.changed.values()]).toEqual([
      { app_id: 'app_1', key: 'old', changes: { name: 'Second', hidden: true, icon_url: 'https://example.com/i.png' }, updated_at: iso(20) },
    ]);
  });

  it('takes only the fields an update may change, and no reward columns without a reward', () => {
    const batch = foldAchievements([
      registered('free', { reward: null }),
      updated('free', { name: 'Kept', goal: 99, reward: { amount: '1', currency: 'gems' } }, 5),
    ]);
    expect([...batch.registered.values()][0]).toMatchObject({ name: 'Kept', goal: 3, reward_amount: null, reward_currency: null });
  });

  it('skips events about progress and other contexts', () => {
    const batch = foldAchievements([
      event('ProgressRecorded', { app_id: 'app_1', key: 'blackjack', user_id: 'alice', progress: 1, recorded_at: iso(1) }),
      event('TransactionPosted', { transaction_id: 1 }),
    ]);
    expect(batch.registered.size + batch.changed.size).toBe(0);
  });
});
