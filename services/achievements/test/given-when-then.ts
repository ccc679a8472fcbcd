/**
 * Given/when/then for the pure achievements domain:
 *
 *   given(registered({ goal: 3 }), progressed('alice', 2))
 *     .when(progress('alice', { increment: 1 }))
 *   → expectEvents(decision, [progressed('alice', 3), unlocked('alice')])
 *
 * `given` folds definition events into the achievement's state and progress events into the
 * user's progress state, with the same evolve() the writer replays streams with. Builders make
 * valid events and commands at a fixed clock (NOW, or NOW + seconds).
 */
import { randomUUID } from 'node:crypto';
import type {
  AchievementChanges,
  AchievementCommand,
  AchievementEvent,
  AchievementReward,
  ErrorCode,
  RegisterAchievement,
} from '@coffer/contracts';
import { expectEvents, iso, NOW, refusalOf } from '@coffer/testing';
import { decide, type DecideContext, type Decision } from '../src/domain/decide';
import { evolve } from '../src/domain/decider';
import type { AppliedEvent } from '../src/domain/evolve';
import { AchievementState, ProgressState } from '../src/domain/state';
import { unlockIdOf } from '../src/domain/streams';

export { at, expectEvents, iso, NOW, SNOWFLAKE } from '@coffer/testing';

export const APP = 'app_1';
export const KEY = 'first_blackjack';

export function context(overrides: Partial<DecideContext> = {}): DecideContext {
  return { now: NOW, app_id: APP, command_id: randomUUID(), request_hash: null, ...overrides };
}

/** The states a history builds: the definition and one user's progress. */
export class Scenario {
  readonly achievement = new AchievementState();
  readonly progress = new ProgressState();

  /** …when this command arrives (default: at NOW, from app_1, no Idempotency-Key). */
  when(command: AchievementCommand, overrides: Partial<DecideContext> = {}): Decision {
    return decide(command, { achievement: this.achievement, progress: this.progress }, context(overrides));
  }

  /**
   * Folds events into the states as the writer does, linked to a command id and request hash
   * (and the time it was decided, which the writer stamps; without it the event's own time counts).
   */
  record(events: AchievementEvent[], command_id: string | null = null, request_hash: string | null = null, decided_at_epoch_ms?: number): this {
    for (const event of events) fold(this, { ...event, metadata: { command_id, request_hash, decided_at_epoch_ms } });
    return this;
  }

  /** Decides and, when it records events, folds them in (so a scenario can go on). */
  then(command: AchievementCommand, overrides: Partial<DecideContext> = {}): Decision {
    const full = context(overrides);
    const decision = decide(command, { achievement: this.achievement, progress: this.progress }, full);
    if (decision.kind === 'events') this.record(decision.events, full.command_id, full.request_hash, full.now.getTime());
    return decision;
  }
}

/** Given these events happened (in order)… */
export function given(...history: Array<AchievementEvent | AppliedEvent>): Scenario {
  const scenario = new Scenario();
  for (const event of history) fold(scenario, event);
  return scenario;
}

/** Folds as the writer does (the Decider's evolve): each event into its stream's state. */
function fold(scenario: Scenario, event: AppliedEvent): void {
  evolve({ achievement: scenario.achievement, progress: scenario.progress }, event);
}

// ---- then ------------------------------------------------------------------------------------

/** Accepted, and nothing changes: no event. */
export function expectNoChange(decision: Decision): void {
  expectEvents(decision, []);
}

export function expectRefusal(decision: Decision, code: ErrorCode, fields?: string[]): void {
  const refusal = refusalOf(decision, code);
  if (fields) expect(Object.keys((refusal.details?.fields as object) ?? {}).sort()).toEqual([...fields].sort());
}

// ---- commands --------------------------------------------------------------------------------

export function register(fields: Partial<RegisterAchievement['data']> = {}): RegisterAchievement {
  return {
    type: 'RegisterAchievement',
    data: {
      key: KEY,
      name: 'Natural 21',
      description: null,
      icon_url: null,
      goal: 1,
      hidden: false,
      reward: null,
      discord_role_id: null,
      ...fields,
    },
  };
}

export const update = (changes: AchievementChanges, key = KEY): AchievementCommand => ({ type: 'UpdateAchievement', data: { key, changes } });

export const progress = (user_id: string, by: { increment?: number; set?: number }, key = KEY): AchievementCommand => ({
  type: 'RecordProgress',
  data: {
    key,
    user_id,
    ...by,
  },
});

export const unlock = (user_id: string, key = KEY): AchievementCommand => ({ type: 'Unlock', data: { key, user_id } });

// ---- events ----------------------------------------------------------------------------------

export function registered(
  fields: Partial<RegisterAchievement['data']> & { app_id?: string } = {},
  seconds = 0,
): AchievementEvent {
  const { app_id = APP, ...definition } = fields;
  return { type: 'AchievementRegistered', data: { app_id, ...register(definition).data, registered_at: iso(seconds) } };
}

export const updated = (changes: AchievementChanges, seconds = 0, key = KEY): AchievementEvent => ({
  type: 'AchievementUpdated',
  data: { app_id: APP, key, changes, updated_at: iso(seconds) },
});

export const progressed = (user_id: string, value: number, seconds = 0, key = KEY): AchievementEvent => ({
  type: 'ProgressRecorded',
  data: { app_id: APP, key, user_id, progress: value, recorded_at: iso(seconds) },
});

export const unlocked = (user_id: string, reward: AchievementReward | null = null, seconds = 0, key = KEY): AchievementEvent => ({
  type: 'AchievementUnlocked',
  data: { unlock_id: unlockIdOf(APP, key, user_id), app_id: APP, key, user_id, unlocked_at: iso(seconds), reward },
});
