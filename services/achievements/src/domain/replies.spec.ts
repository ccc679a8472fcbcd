/**
 * What RegisterAchievement answers: the achievement, and whether this command created it (the
 * gateway answers 201 or 200 from that alone, API.md "Register an achievement").
 */
import { given, register, registered } from '../../test/given-when-then';
import type { Decision } from './decide';
import { replay, reply } from './replies';

function eventsOf(decision: Decision) {
  if (decision.kind !== 'events') throw new Error(`expected events, got ${decision.kind}`);
  return decision.events;
}

describe('RegisterAchievement replies', () => {
  it('says created: true when the register recorded the achievement', () => {
    const scenario = given();
    const command = register({ goal: 4 });
    const events = eventsOf(scenario.then(command));
    expect(events).toHaveLength(1);
    expect(reply(command, events, scenario)).toMatchObject({ key: 'first_blackjack', goal: 4, created: true });
  });

  it('says created: false when the key held this very definition already (no event)', () => {
    const scenario = given(registered({ goal: 3 }));
    const command = register({ goal: 3 });
    const events = eventsOf(scenario.when(command));
    expect(events).toEqual([]);
    expect(reply(command, events, scenario)).toMatchObject({ key: 'first_blackjack', goal: 3, created: false });
  });

  it('answers a replayed register (same key and request) as the first answer did: created', () => {
    const scenario = given();
    const command = register({ goal: 4 });
    scenario.then(command, { command_id: 'r1', request_hash: 'h' });
    const retry = scenario.when(command, { command_id: 'r1', request_hash: 'h' });
    if (retry.kind !== 'replay') throw new Error(`expected a replay, got ${retry.kind}`);
    expect(replay(command, retry.decided, scenario)).toMatchObject({ goal: 4, created: true });
  });

  it('says nothing of creation for the other definition commands', () => {
    const scenario = given(registered({ goal: 3 }));
    const update = { type: 'UpdateAchievement' as const, data: { key: 'first_blackjack', changes: { name: 'Renamed' } } };
    const events = eventsOf(scenario.then(update));
    expect(reply(update, events, scenario)).not.toHaveProperty('created');
  });
});
