import fc from 'fast-check';
import { evolveAchievement, evolveProgress } from './evolve';
import {
  APP,
  at,
  context,
  given,
  KEY,
  iso,
  NOW,
  progress,
  progressed,
  registered,
  SNOWFLAKE,
  unlocked,
  updated,
} from '../../test/given-when-then';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS, type ProgressReply, type RecordProgress, type Unlock } from '@coffer/contracts';
import { decideCommand, stampFor } from '@coffer/decider';
import { achievementsDecider } from './decider';
import type { AppliedEvent } from './evolve';
import { AchievementState, ProgressState } from './state';
import { achievementStream, progressStream, rewardStream, unlockIdOf } from './streams';

describe('evolve', () => {
  it('folds a definition and its updates, counting the revision', () => {
    const scenario = given(
      registered({ description: 'old', reward: { amount: '5', currency: 'coins' } }),
      updated({ name: 'Renamed', description: null }, 10),
      updated({ hidden: true }, 20),
    );
    expect(scenario.achievement.revision).toBe(2n);
    expect(scenario.achievement.definition).toEqual({
      app_id: 'app_1',
      key: 'first_blackjack',
      name: 'Renamed',
      description: null,
      icon_url: null,
      goal: 1,
      hidden: true,
      reward: { amount: '5', currency: 'coins' },
      discord_role_id: null,
      created_at: iso(0),
      updated_at: iso(20),
    });
  });

  it('replaces the definition object on update, so earlier readers keep theirs intact', () => {
    const state = new AchievementState();
    evolveAchievement(state, registered());
    const before = state.definition;
    evolveAchievement(state, updated({ name: 'New' }));
    expect(before?.name).toBe('Natural 21');
    expect(state.definition?.name).toBe('New');
  });

  it('takes the revision from the stored event when it has one', () => {
    const state = new ProgressState();
    evolveProgress(state, { ...progressed('alice', 2), streamPosition: 7n, globalPosition: 99n });
    expect(state.revision).toBe(7n);
  });

  it('folds progress and the unlock', () => {
    const scenario = given(registered({ goal: 3 }), progressed('alice', 1), progressed('alice', 3, 5), unlocked('alice', null, 5));
    expect(scenario.progress).toMatchObject({ revision: 2n, progress: 3, unlocked_at: iso(5), unlock_id: unlockIdOf('app_1', 'first_blackjack', 'alice') });
  });

  it('remembers commands sent with a request hash, with the position of their last event', () => {
    const state = new ProgressState();
    const metadata = { command_id: 'c1', request_hash: 'h' };
    evolveProgress(state, { ...progressed('alice', 2), metadata, globalPosition: 10n });
    evolveProgress(state, { ...unlocked('alice'), metadata, globalPosition: 11n });
    evolveProgress(state, { ...progressed('bob', 3), metadata: { command_id: 'c2', request_hash: null } });
    expect([...state.memory.keyed]).toEqual([
      ['c1', { request_hash: 'h', reply: { progress: 2, unlocked_at: iso() }, position: '11', remembered_until_ms: NOW.getTime() + DEFAULT_IDEMPOTENCY_RETENTION_MS }],
    ]);
    expect(state.memory.unkeyed.size).toBe(0); // no deadline: written before deadlines were
  });

  it('remembers a recorded refusal, changing nothing else: the same keyed command is answered it again', () => {
    const keyed = { command_id: 'c9', request_hash: 'h9' };
    const scenario = given(registered({ goal: 3 }), {
      type: 'AchievementCommandRefused',
      data: { code: 'NOT_FOUND', message: 'achievement other does not exist' },
      metadata: { ...keyed, decided_at_epoch_ms: NOW.getTime() },
    });
    expect(scenario.progress).toMatchObject({ revision: 0n, progress: 0, unlocked_at: null });
    const retry = scenario.when(progress('alice', { increment: 1 }), keyed);
    expect(retry).toMatchObject({ kind: 'replay', decided: { refusal: { ok: false, code: 'NOT_FOUND', message: 'achievement other does not exist' } } });
    expect(scenario.when(progress('alice', { increment: 1 }), { ...keyed, request_hash: 'another' })).toMatchObject({
      kind: 'refused',
      refusal: { code: 'IDEMPOTENCY_KEY_REUSED' },
    });
  });

  it('remembers a command without a key until its deadline, and a keyed one until the end its writer stamped', () => {
    const state = new ProgressState(60_000);
    const times = { decided_at_epoch_ms: at(0).getTime(), deadline_epoch_ms: at(5).getTime() };
    evolveProgress(state, { ...progressed('alice', 1), metadata: { command_id: 'plain', request_hash: null, ...times }, globalPosition: 7n });
    evolveProgress(state, {
      ...progressed('alice', 2),
      metadata: { command_id: 'keyed', request_hash: 'h', ...times, remembered_until_epoch_ms: at(3600).getTime() },
    });
    expect(state.memory.recall('plain', false, at(4.999).getTime())).toMatchObject({ request_hash: null, reply: { progress: 1 }, position: '7' });
    expect(state.memory.recall('plain', false, at(5).getTime())).toBeUndefined();
    expect(state.memory.keyed.get('keyed')?.remembered_until_ms).toBe(at(3600).getTime()); // not this fold's 60 s
  });

  it("forgets a remembered command at the first event of its stream at or after its window's end, not before", () => {
    const WINDOW_MS = 60_000;
    const state = new ProgressState(WINDOW_MS);
    const decidedAt = (seconds: number) => ({ command_id: `c${seconds}`, request_hash: 'h', decided_at_epoch_ms: at(seconds).getTime() });
    evolveProgress(state, { ...progressed('alice', 1), metadata: decidedAt(0) });
    evolveProgress(state, { ...progressed('alice', 2, 59.999), metadata: decidedAt(59.999) });
    expect([...state.memory.keyed.keys()]).toEqual(['c0', 'c59.999']);
    evolveProgress(state, { ...progressed('alice', 3, 60), metadata: decidedAt(60) });
    expect([...state.memory.keyed.keys()]).toEqual(['c59.999', 'c60']);
    expect(state.memory.clockMs).toBe(at(60).getTime());
  });

  it('takes the time of an event written before decision times were stamped from its data', () => {
    const state = new AchievementState(60_000);
    evolveAchievement(state, { ...registered({}, 30), metadata: { command_id: 'r', request_hash: 'h' } });
    expect(state.memory.keyed.get('r')?.remembered_until_ms).toBe(at(30).getTime() + 60_000);
    expect(state.clone()).toEqual(state);
  });

  it.each([
    ['progress that goes back', () => given(registered({ goal: 9 }), progressed('a', 5), progressed('a', 4)), /went from 5 to 4/],
    ['progress that stays', () => given(registered({ goal: 9 }), progressed('a', 5), progressed('a', 5)), /went from 5 to 5/],
    ['a second unlock', () => given(registered(), progressed('a', 1), unlocked('a'), unlocked('a')), /unlocked twice/],
    ['a second registration', () => given(registered(), registered()), /registered twice/],
    ['an update before the registration', () => given(updated({ name: 'x' })), /before it was registered/],
  ])('refuses to fold %s (a broken stream)', (_case, build, message) => {
    expect(build).toThrow(message);
  });

  it('refuses events of another stream kind', () => {
    expect(() => evolveAchievement(new AchievementState(), progressed('a', 1))).toThrow(/does not belong/);
    expect(() => evolveProgress(new ProgressState(), registered())).toThrow(/does not belong/);
  });
});

describe('stream names', () => {
  it('follows achievement-<app>-<key>, progress-<app>-<key>-<user>, reward-<unlock>', () => {
    expect(achievementStream('app_1', 'first_win')).toBe('achievement-app_1-first_win');
    expect(progressStream('app_1', 'first_win', SNOWFLAKE)).toBe(`progress-app_1-first_win-${SNOWFLAKE}`);
    expect(rewardStream('abc')).toBe('reward-abc');
  });

  it('stays unambiguous when keys and user ids contain the separator', () => {
    expect(progressStream('app_1', 'a-b', 'c')).not.toBe(progressStream('app_1', 'a', 'b-c'));
    expect(achievementStream('app_1', 'a-b')).toBe('achievement-app_1-a~b');
  });

  it('derives one unlock id per (app, key, user)', () => {
    const id = unlockIdOf('app_1', 'k', 'u');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(unlockIdOf('app_1', 'k', 'u')).toBe(id);
    expect(new Set([id, unlockIdOf('app_2', 'k', 'u'), unlockIdOf('app_1', 'k2', 'u'), unlockIdOf('app_1', 'k', 'u2')]).size).toBe(4);
  });
});

describe('progress rules hold for any sequence of reports', () => {
  // Real commands (the contract's RecordProgress and Unlock), decided and folded the way the
  // writer does: through decideCommand with the achievements Decider and the writer's stamp.
  const user = { key: fc.constant(KEY), user_id: fc.constant('alice') };
  const report: fc.Arbitrary<RecordProgress | Unlock> = fc.oneof(
    fc.record({ type: fc.constant('RecordProgress' as const), data: fc.record({ ...user, increment: fc.integer({ min: 1, max: 40 }) }) }),
    fc.record({ type: fc.constant('RecordProgress' as const), data: fc.record({ ...user, set: fc.integer({ min: 0, max: 120 }) }) }),
    fc.record({ type: fc.constant('Unlock' as const), data: fc.record(user) }),
  );
  const decider = achievementsDecider(DEFAULT_IDEMPOTENCY_RETENTION_MS);

  /** What a report asks of the progress, read independently of decide: the goal for an unlock, else the sum or the set value. */
  const target = (command: RecordProgress | Unlock, goal: number, before: number): number => {
    if (command.type === 'Unlock') return goal;
    return command.data.increment !== undefined ? before + command.data.increment : Math.max(before, command.data.set as number);
  };

  it('never exceeds the goal, never goes back, unlocks once exactly when the goal is reached', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.array(report, { maxLength: 40 }), (goal, reports) => {
        const scenario = given(registered({ goal, reward: { amount: '7', currency: 'coins' } }));
        const state = { achievement: scenario.achievement, progress: scenario.progress };
        let unlocks = 0;
        let previous = 0;
        let expected = 0;
        for (const command of reports) {
          const decideAt = context();
          const meta = { correlation_id: decideAt.command_id, command_id: decideAt.command_id, app_id: APP, key_id: null, deadline_epoch_ms: NOW.getTime() + 5_000 };
          const decided = decideCommand(decider, command, state, decideAt, stampFor<AppliedEvent>(meta, decideAt, DEFAULT_IDEMPOTENCY_RETENTION_MS));
          const answer = decided.answer('1');
          if (!answer.ok) return false;
          unlocks += decided.events.filter((event) => event.type === 'AchievementUnlocked').length;
          expected = Math.min(goal, target(command, goal, expected));
          const now = scenario.progress.progress;
          if (now < previous || now > goal || now !== expected) return false;
          // the answer is the progress the events left
          if ((answer.result.result as ProgressReply).progress !== now) return false;
          previous = now;
        }
        return unlocks === (previous === goal ? 1 : 0) && (scenario.progress.unlocked_at !== null) === (previous === goal);
      }),
    );
  });
});
