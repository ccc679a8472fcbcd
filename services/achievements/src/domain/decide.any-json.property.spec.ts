/**
 * decide() is total over any JSON: a command reaches the achievements service as JSON over
 * NATS, possibly not from the gateway. Whatever it is given, decide never throws, and every
 * event it decides passes the value rules (and evolves).
 */
import fc from 'fast-check';
import {
  isAchievementDescription,
  isAchievementName,
  isIconUrl,
  jsonValueProblem,
  type AchievementEvent,
} from '@coffer/contracts';
import { anyJson, deepJson, fieldValue as fieldValueOf, hostileText } from '@coffer/testing';
import { decide, type Decision } from './decide';
import { context, given, KEY, progressed, registered } from '../../test/given-when-then';
import { evolveAchievement, evolveProgress } from './evolve';

const COMMAND_TYPES = ['RegisterAchievement', 'UpdateAchievement', 'RecordProgress', 'Unlock'] as const;
const FIELDS = ['key', 'name', 'description', 'icon_url', 'goal', 'hidden', 'reward', 'changes', 'user_id', 'increment', 'set'];

const plausible = fc.constantFrom<unknown>(KEY, 'Natural 21', 'alice', 'https://e.com/a.png', 1, 3, 10, true, false, null, {
  amount: '5',
  currency: 'coins',
});
const deep = deepJson('name');
const fieldValue = fieldValueOf(plausible, hostileText('https://e.com/\u009b'), deep);
const changes = fc.dictionary(fc.constantFrom('name', 'description', 'icon_url', 'hidden', 'goal', '\u0000'), fieldValue);
/** A valid command of each type, so that changing a field or two of it reaches past validation. */
const VALID = [
  { type: 'RegisterAchievement', data: { key: KEY, name: 'Natural 21', description: 'Win', icon_url: 'https://e.com/a.png', goal: 3, hidden: false, reward: { amount: '5', currency: 'coins' } } },
  { type: 'UpdateAchievement', data: { key: KEY, changes: { name: 'Blackjack', description: null } } },
  { type: 'RecordProgress', data: { key: KEY, user_id: 'alice', increment: 1 } },
  { type: 'Unlock', data: { key: KEY, user_id: 'alice' } },
];
const commandLike = fc.oneof(
  {
    weight: 6,
    // A field or two of the data changed, and now and then the envelope itself (its type, its data).
    arbitrary: fc
      .tuple(
        fc.constantFrom(...VALID),
        fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(fieldValue, changes), { maxKeys: 2 }),
        fc.dictionary(fc.constantFrom('type', 'data'), fieldValue, { maxKeys: 1 }),
      )
      .map(([valid, fields, envelope]) => ({ ...valid, data: { ...valid.data, ...fields }, ...envelope })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom(...COMMAND_TYPES),
      data: fc.record(Object.fromEntries(FIELDS.map((f) => [f, fieldValue])), { requiredKeys: [] }),
    }),
  },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: deep },
);
const ctx = fc.record({ app_id: fc.constantFrom('app_1', null), request_hash: fc.constantFrom(null, 'hash-1') });

function eventProblem(event: AchievementEvent): string | null {
  const general = jsonValueProblem(event.data);
  if (general) return general;
  if (event.type === 'AchievementRegistered') {
    const { name, description, icon_url } = event.data;
    return isAchievementName(name) && isAchievementDescription(description) && (icon_url === null || isIconUrl(icon_url)) ? null : 'text';
  }
  if (event.type === 'AchievementUpdated') {
    const { name, description, icon_url } = event.data.changes;
    const ok =
      (name === undefined || isAchievementName(name)) &&
      (description === undefined || isAchievementDescription(description)) &&
      (icon_url === undefined || icon_url === null || isIconUrl(icon_url));
    return ok ? null : 'text';
  }
  return null;
}

describe('achievements decide over any JSON', () => {
  it('never throws, and decides only events that pass the value rules', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(commandLike, ctx, fc.boolean(), (command, overrides, registeredBefore) => {
        const scenario = registeredBefore ? given(registered({ goal: 3 }), progressed('alice', 1)) : given();
        const state = { achievement: scenario.achievement, progress: scenario.progress };
        const decision: Decision = decide(command as never, state, context(overrides));
        seen.add(decision.kind === 'refused' ? decision.refusal.code : decision.kind);
        if (decision.kind === 'refused') expect(jsonValueProblem(decision.refusal)).toBeNull();
        if (decision.kind !== 'events') return;
        for (const event of decision.events) {
          expect({ type: event.type, problem: eventProblem(event) }).toEqual({ type: event.type, problem: null });
          const applied = { ...event, metadata: { command_id: 'c1', request_hash: overrides.request_hash } };
          if (event.type === 'AchievementRegistered' || event.type === 'AchievementUpdated') evolveAchievement(scenario.achievement, applied);
          else evolveProgress(scenario.progress, applied);
        }
      }),
      { numRuns: 3000 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'events']));
  });

  it.each([
    ['a name with NUL', { type: 'RegisterAchievement', data: { key: KEY, name: 'n\u0000', description: null, icon_url: null, goal: 1, hidden: false, reward: null } }],
    ['a number for the name', { type: 'RegisterAchievement', data: { key: KEY, name: 5, description: null, icon_url: null, goal: 1, hidden: false, reward: null } }],
    ['an object for the reward amount', { type: 'RegisterAchievement', data: { key: KEY, name: 'n', description: null, icon_url: null, goal: 1, hidden: false, reward: { amount: { v: 1 }, currency: 'coins' } } }],
    ['a lone surrogate in a changed description', { type: 'UpdateAchievement', data: { key: KEY, changes: { description: '\udc00' } } }],
    ['a changed field with a hostile name', { type: 'UpdateAchievement', data: { key: KEY, changes: { 'x\u0000': 1 } } }],
    ['missing fields', { type: 'RecordProgress' , data: {} }],
    ['an array', [{ type: 'Unlock', data: { key: KEY, user_id: 'alice' } }]],
    ['an unknown type', { type: { nested: 'Unlock' }, key: KEY }],
  ])('refuses %s with VALIDATION_FAILED, naming no hostile value', (_case, command) => {
    const scenario = given(registered({ goal: 3 }));
    const decision = decide(command as never, { achievement: scenario.achievement, progress: scenario.progress }, context());
    expect(decision.kind === 'refused' && decision.refusal.code).toBe('VALIDATION_FAILED');
    expect(jsonValueProblem(decision.kind === 'refused' && decision.refusal)).toBeNull();
  });
});
