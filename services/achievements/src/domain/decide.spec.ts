import { decide } from './decide';
import {
  APP,
  expectEvents,
  expectNoChange,
  expectRefusal,
  given,
  iso,
  KEY,
  NOW,
  progress,
  progressed,
  register,
  registered,
  SNOWFLAKE,
  unlock,
  unlocked,
  update,
  updated,
} from '../../test/given-when-then';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS } from '@coffer/contracts';
import { AchievementState, ProgressState } from './state';
import { unlockIdOf } from './streams';

const COINS_250 = { amount: '250', currency: 'coins' };

describe('RegisterAchievement', () => {
  it('records the definition with its app, at the time of the command', () => {
    const decision = given().when(
      register({
        name: 'Natural 21',
        description: 'Win with your first two cards',
        icon_url: 'https://cdn.example.com/n21.png',
        goal: 5,
        hidden: true,
        reward: COINS_250,
      }),
    );
    expectEvents(decision, [
      {
        type: 'AchievementRegistered',
        data: {
          app_id: APP,
          key: KEY,
          name: 'Natural 21',
          description: 'Win with your first two cards',
          icon_url: 'https://cdn.example.com/n21.png',
          goal: 5,
          hidden: true,
          reward: COINS_250,
          discord_role_id: null,
          registered_at: iso(),
        },
      },
    ]);
  });

  it('trims the name', () => {
    const decision = given().when(register({ name: '  Natural 21 ' }));
    expectEvents(decision, [registered({ name: 'Natural 21' })]);
  });

  it('changes nothing when the very same definition is registered again (apps register at every start)', () => {
    expectNoChange(given(registered({ goal: 3, reward: COINS_250 })).when(register({ goal: 3, reward: COINS_250 })));
  });

  it('takes the same definition whatever white space surrounds its name (names are stored trimmed)', () => {
    expectNoChange(given(registered({ name: 'Natural 21' })).when(register({ name: ' Natural 21  ' })));
  });

  it.each([
    ['another name', { name: 'Other' }],
    ['another goal', { goal: 2 }],
    ['a reward', { reward: COINS_250 }],
    ['hidden', { hidden: true }],
    ['a description', { description: 'x' }],
    ['an icon', { icon_url: 'https://cdn.example.com/other.png' }],
    ['a Discord role', { discord_role_id: '1187654321098765432' }],
  ])('answers CONFLICT for a key already registered in the app with %s', (_case, fields) => {
    const decision = given(registered()).when(register(fields));
    expectRefusal(decision, 'CONFLICT');
    expect(decision).toMatchObject({ refusal: { details: { key: KEY } } });
  });

  it.each([
    ['no reward', null],
    ['another amount', { amount: '251', currency: 'coins' }],
    ['another currency', { amount: '250', currency: 'gems' }],
  ])('answers CONFLICT for a rewarded key registered again with %s', (_case, reward) => {
    expectRefusal(given(registered({ reward: COINS_250 })).when(register({ reward })), 'CONFLICT');
  });

  it('records the Discord role a member gets on unlocking it, and takes the same role again as the same definition', () => {
    const role = { discord_role_id: '1187654321098765432' };
    expectEvents(given().when(register(role)), [registered(role)]);
    expectNoChange(given(registered(role)).when(register(role)));
  });

  it.each([['a number', 1187654321], ['letters', 'moderator'], ['zero', '0'], ['beyond 64 bits', '18446744073709551616'], ['21 digits', '118765432109876543210']])(
    'refuses a Discord role id that is %s',
    (_case, discord_role_id) => {
      expectRefusal(given().when(register({ discord_role_id } as never)), 'VALIDATION_FAILED', ['discord_role_id']);
    },
  );

  it('refuses the admin: achievements belong to an app', () => {
    expectRefusal(given().when(register(), { app_id: null }), 'FORBIDDEN');
  });

  it('refuses an app whose scopes (carried by its request) lack achievements; null or absent scopes are every scope', () => {
    expectRefusal(given().when(register(), { app_scopes: ['finance:write', 'finance:read'] }), 'FORBIDDEN');
    expectRefusal(given(registered()).when(progress('alice', { increment: 1 }), { app_scopes: [] }), 'FORBIDDEN');
    expect(given().when(register(), { app_scopes: ['achievements'] }).kind).toBe('events');
    expect(given().when(register(), { app_scopes: null }).kind).toBe('events');
  });

  it.each([
    ['an empty key', { key: '' }, 'key'],
    ['a 65-character key', { key: 'k'.repeat(65) }, 'key'],
    ['a key with a space', { key: 'a b' }, 'key'],
    ['a key with a slash', { key: 'a/b' }, 'key'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
    ['a 501-character description', { description: 'd'.repeat(501) }, 'description'],
    ['an ftp icon URL', { icon_url: 'ftp://cdn.example.com/x.png' }, 'icon_url'],
    ['a javascript: icon URL', { icon_url: 'javascript:alert(1)' }, 'icon_url'],
    ['a relative icon URL', { icon_url: '/x.png' }, 'icon_url'],
    ['an icon URL with a space', { icon_url: 'https://cdn.example.com/a b.png' }, 'icon_url'],
    ['an icon URL of 2049 characters', { icon_url: `https://e.com/${'x'.repeat(2049 - 14)}` }, 'icon_url'],
    ['goal 0', { goal: 0 }, 'goal'],
    ['a fractional goal', { goal: 1.5 }, 'goal'],
    ['a goal above 10^9', { goal: 1_000_000_001 }, 'goal'],
    ['a goal as a string', { goal: '5' as unknown as number }, 'goal'],
    ['hidden as a string', { hidden: 'yes' as unknown as boolean }, 'hidden'],
    ['a zero reward', { reward: { amount: '0', currency: 'coins' } }, 'reward.amount'],
    ['a reward with a leading zero', { reward: { amount: '015', currency: 'coins' } }, 'reward.amount'],
    ['a reward above 10^18', { reward: { amount: '1000000000000000001', currency: 'coins' } }, 'reward.amount'],
    ['a reward as a JSON number', { reward: { amount: 15 as unknown as string, currency: 'coins' } }, 'reward.amount'],
    ['a reward in an invalid currency', { reward: { amount: '1', currency: 'Coins!' } }, 'reward.currency'],
  ])('refuses %s', (_case, fields, field) => {
    expectRefusal(given().when(register(fields)), 'VALIDATION_FAILED', [field]);
  });

  it('accepts the limits: 64-character key, 100-character name, goal 10^9, reward 10^18, 2048-character URL', () => {
    const url = `https://e.com/${'x'.repeat(2048 - 14)}`;
    expect(url).toHaveLength(2048);
    const decision = given().when(
      register({
        key: 'k'.repeat(64),
        name: 'n'.repeat(100),
        description: 'd'.repeat(500),
        icon_url: url,
        goal: 1_000_000_000,
        reward: { amount: '1000000000000000000', currency: 'gems' },
      }),
    );
    expect(decision.kind).toBe('events');
  });
});

describe('UpdateAchievement', () => {
  it('records only the fields that change, and clears a description with null', () => {
    const decision = given(registered({ description: 'old', hidden: false })).when(
      update({ name: 'Natural 21', description: null, hidden: true }),
      { now: new Date(iso(30)) },
    );
    expectEvents(decision, [updated({ description: null, hidden: true }, 30)]);
  });

  it('changes nothing when every given field already has that value', () => {
    expectNoChange(given(registered({ icon_url: 'https://e.com/a.png' })).when(update({ icon_url: 'https://e.com/a.png' })));
  });

  it('refuses an achievement that does not exist', () => {
    expectRefusal(given().when(update({ name: 'x' })), 'NOT_FOUND');
  });

  it.each([
    ['the goal', { goal: 5 }, 'goal'],
    ['the reward', { reward: COINS_250 }, 'reward'],
    ['nothing at all', {}, 'changes'],
    ['a null name', { name: null }, 'name'],
    ['a bad icon URL', { icon_url: 'data:image/png;base64,AA' }, 'icon_url'],
  ])('refuses to change %s', (_case, changes, field) => {
    expectRefusal(given(registered()).when(update(changes as never)), 'VALIDATION_FAILED', [field]);
  });
});

describe('RecordProgress', () => {
  it('adds an increment to the progress', () => {
    expectEvents(given(registered({ goal: 10 }), progressed('alice', 3)).when(progress('alice', { increment: 4 })), [
      progressed('alice', 7),
    ]);
  });

  it('unlocks exactly when the goal is reached, with the reward and an id derived from the unlock', () => {
    const decision = given(registered({ goal: 10, reward: COINS_250 }), progressed('alice', 9)).when(progress('alice', { increment: 1 }));
    expectEvents(decision, [progressed('alice', 10), unlocked('alice', COINS_250)]);
    expect(decision.kind === 'events' && decision.events[1].data).toMatchObject({ unlock_id: unlockIdOf(APP, KEY, 'alice') });
  });

  it('stops at the goal: a larger increment reaches the goal and no further', () => {
    expectEvents(given(registered({ goal: 10 }), progressed('alice', 8)).when(progress('alice', { increment: 1000 })), [
      progressed('alice', 10),
      unlocked('alice'),
    ]);
  });

  it('with goal 1 a single increment is a plain unlock', () => {
    expectEvents(given(registered()).when(progress(SNOWFLAKE, { increment: 1 })), [progressed(SNOWFLAKE, 1), unlocked(SNOWFLAKE)]);
  });

  it('sets an absolute progress', () => {
    expectEvents(given(registered({ goal: 100 }), progressed('alice', 10)).when(progress('alice', { set: 40 })), [
      progressed('alice', 40),
    ]);
  });

  it('never goes back: a set lower than the progress changes nothing', () => {
    expectNoChange(given(registered({ goal: 100 }), progressed('alice', 40)).when(progress('alice', { set: 10 })));
  });

  it('a set equal to the progress, or set 0 on a fresh user, changes nothing', () => {
    expectNoChange(given(registered({ goal: 100 }), progressed('alice', 40)).when(progress('alice', { set: 40 })));
    expectNoChange(given(registered({ goal: 100 })).when(progress('alice', { set: 0 })));
  });

  it('a set beyond the goal reaches the goal and unlocks', () => {
    expectEvents(given(registered({ goal: 100 })).when(progress('alice', { set: 5000 })), [progressed('alice', 100), unlocked('alice')]);
  });

  it('changes nothing once unlocked: progress is at the goal for good and unlocks only once', () => {
    const scenario = given(registered({ goal: 2, reward: COINS_250 }), progressed('alice', 2), unlocked('alice', COINS_250));
    expectNoChange(scenario.when(progress('alice', { increment: 1 })));
    expectNoChange(scenario.when(progress('alice', { set: 2 })));
    expectNoChange(scenario.when(unlock('alice')));
  });

  it('refuses progress on an achievement that does not exist', () => {
    expectRefusal(given().when(progress('alice', { increment: 1 })), 'NOT_FOUND');
  });

  it.each([
    ['both increment and set', { increment: 1, set: 2 }, 'increment'],
    ['neither increment nor set', {}, 'increment'],
    ['increment 0', { increment: 0 }, 'increment'],
    ['a negative increment', { increment: -3 }, 'increment'],
    ['a fractional increment', { increment: 1.5 }, 'increment'],
    ['an increment beyond 2^53', { increment: 2 ** 60 }, 'increment'],
    ['a negative set', { set: -1 }, 'set'],
    ['a set as a string', { set: '5' as unknown as number }, 'set'],
  ])('refuses %s', (_case, by, field) => {
    expectRefusal(given(registered({ goal: 10 })).when(progress('alice', by)), 'VALIDATION_FAILED', [field]);
  });

  it.each([
    ['an empty user id', ''],
    ['a user id with a space', 'a b'],
    ['a 65-character user id', 'u'.repeat(65)],
  ])('refuses %s', (_case, user) => {
    expectRefusal(given(registered()).when(progress(user, { increment: 1 })), 'VALIDATION_FAILED', ['user_id']);
  });

  it('refuses the admin', () => {
    expectRefusal(given(registered()).when(progress('alice', { increment: 1 }), { app_id: null }), 'FORBIDDEN');
  });
});

describe('Unlock', () => {
  it('sets the progress to the goal and unlocks', () => {
    expectEvents(given(registered({ goal: 50, reward: COINS_250 })).when(unlock('bob')), [
      progressed('bob', 50),
      unlocked('bob', COINS_250),
    ]);
  });

  it('from partial progress, too', () => {
    expectEvents(given(registered({ goal: 50 }), progressed('bob', 49)).when(unlock('bob')), [progressed('bob', 50), unlocked('bob')]);
  });

  it('a hidden achievement unlocks like any other', () => {
    expectEvents(given(registered({ hidden: true })).when(unlock('bob')), [progressed('bob', 1), unlocked('bob')]);
  });

  it('refuses an achievement that does not exist, and an invalid user id', () => {
    expectRefusal(given().when(unlock('bob')), 'NOT_FOUND');
    expectRefusal(given(registered()).when(unlock('b/ob')), 'VALIDATION_FAILED', ['user_id']);
  });
});

describe('idempotency keys (command id + request hash)', () => {
  it('answers a retried command with its first reply, even after the state moved on', () => {
    const scenario = given(registered({ goal: 10 }));
    const first = scenario.then(progress('alice', { increment: 3 }), { command_id: 'app_1:k1', request_hash: 'h1' });
    expect(first.kind).toBe('events');
    scenario.then(progress('alice', { increment: 5 }), { command_id: 'app_1:k2', request_hash: 'h2' });
    expect(scenario.progress.progress).toBe(8);

    const retry = scenario.when(progress('alice', { increment: 3 }), { command_id: 'app_1:k1', request_hash: 'h1' });
    expect(retry).toEqual({
      kind: 'replay',
      decided: { request_hash: 'h1', reply: { progress: 3, unlocked_at: null }, position: '', remembered_until_ms: NOW.getTime() + DEFAULT_IDEMPOTENCY_RETENTION_MS },
    });
  });

  it('answers a retry one millisecond before the idempotency window ends, and decides one at its end afresh', () => {
    const scenario = given(registered({ goal: 10 }));
    scenario.then(progress('alice', { increment: 3 }), { command_id: 'app_1:k1', request_hash: 'h1' });
    const retryAt = (ms: number) => ({ command_id: 'app_1:k1', request_hash: 'h1', now: new Date(NOW.getTime() + ms) });
    expect(scenario.when(progress('alice', { increment: 3 }), retryAt(DEFAULT_IDEMPOTENCY_RETENTION_MS - 1)).kind).toBe('replay');
    expectEvents(scenario.when(progress('alice', { increment: 3 }), retryAt(DEFAULT_IDEMPOTENCY_RETENTION_MS)), [
      progressed('alice', 6, DEFAULT_IDEMPOTENCY_RETENTION_MS / 1000),
    ]);
    // and once the window has ended the key may carry another request
    expect(scenario.when(progress('alice', { increment: 4 }), { ...retryAt(DEFAULT_IDEMPOTENCY_RETENTION_MS), request_hash: 'h2' }).kind).toBe('events');
  });

  it('remembers the reply after all of a command’s events (progress and unlock)', () => {
    const scenario = given(registered({ goal: 2 }));
    scenario.then(unlock('alice'), { command_id: 'c1', request_hash: 'h' });
    const retry = scenario.when(unlock('alice'), { command_id: 'c1', request_hash: 'h' });
    expect(retry).toMatchObject({ kind: 'replay', decided: { reply: { progress: 2, unlocked_at: iso() } } });
  });

  it('refuses the same command id with another request hash', () => {
    const scenario = given(registered({ goal: 10 }));
    scenario.then(progress('alice', { increment: 3 }), { command_id: 'c1', request_hash: 'h1' });
    expectRefusal(scenario.when(progress('alice', { increment: 4 }), { command_id: 'c1', request_hash: 'h2' }), 'IDEMPOTENCY_KEY_REUSED');
  });

  it('replays a registration with its first definition', () => {
    const scenario = given();
    scenario.then(register({ goal: 4 }), { command_id: 'r1', request_hash: 'h' });
    scenario.then(update({ name: 'Renamed' }), { command_id: 'u1', request_hash: 'hu' });
    const retry = scenario.when(register({ goal: 4 }), { command_id: 'r1', request_hash: 'h' });
    expect(retry).toMatchObject({ kind: 'replay', decided: { reply: { name: 'Natural 21', goal: 4 } } });
  });

  it('without a request hash a command is not remembered: the same id is decided again', () => {
    const scenario = given(registered({ goal: 10 }));
    scenario.then(progress('alice', { increment: 3 }), { command_id: 'c1' });
    expectEvents(scenario.when(progress('alice', { increment: 3 }), { command_id: 'c1' }), [progressed('alice', 6)]);
  });
});

describe('decide is pure', () => {
  it('gives the same events for the same inputs and leaves the states as they were', () => {
    const achievement = new AchievementState();
    const state = { achievement, progress: new ProgressState() };
    const context = { now: new Date(iso()), app_id: APP, command_id: 'c', request_hash: 'h' };
    const first = decide(register({ goal: 3 }), state, context);
    const second = decide(register({ goal: 3 }), state, context);
    expect(first).toEqual(second);
    expect(achievement.definition).toBeNull();
    expect(achievement.revision).toBe(-1n);
    expect(achievement.memory.keyed.size).toBe(0);
  });

  it('needs the progress state for progress commands (a programming error otherwise)', () => {
    const context = { now: new Date(iso()), app_id: APP, command_id: 'c', request_hash: null };
    expect(() => decide(progress('alice', { increment: 1 }), { achievement: new AchievementState() }, context)).toThrow(/progress state/);
  });
});
