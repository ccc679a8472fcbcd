/**
 * evolve(state, event): the only way the states change, on the live path and on replay alike.
 * No I/O, no clock: everything comes from the event. Each fold returns its state, and nothing
 * else: replies are built by replies.ts from the command and the state after its events.
 */
import type { AchievementEvent } from '@coffer/contracts';
import { assertInvariant, refusalIn, remembersRefusal, timeInDataBy, type CommandMemory, type CommandMetadata } from '@coffer/decider';
import type { AchievementState, ProgressState } from './state';

/** An event as the writer applies it: its metadata links it to the command that caused it. */
export type AppliedEvent = AchievementEvent & {
  metadata?: CommandMetadata;
  streamPosition?: bigint;
  globalPosition?: bigint;
};

/** Folds an event of stream `achievement-<app_id>-<key>`. */
export function evolveAchievement(state: AchievementState, event: AppliedEvent): AchievementState {
  switch (event.type) {
    case 'AchievementCommandRefused':
      break; // changes nothing but the command's record (see remember)
    case 'AchievementRegistered': {
      assert(state.definition === null, `achievement ${event.data.key} registered twice`);
      const { app_id, key, name, description, icon_url, goal, hidden, reward, registered_at } = event.data;
      state.definition = {
        app_id,
        key,
        name,
        description,
        icon_url,
        goal,
        hidden,
        reward: reward ? { ...reward } : null,
        created_at: registered_at,
        updated_at: registered_at,
      };
      break;
    }
    case 'AchievementUpdated': {
      const current = state.definition;
      assert(current !== null, `achievement ${event.data.key} updated before it was registered`);
      const { changes } = event.data;
      // A new object, never a mutation: readers holding the previous definition keep it intact.
      state.definition = {
        ...current,
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.icon_url !== undefined ? { icon_url: changes.icon_url } : {}),
        ...(changes.hidden !== undefined ? { hidden: changes.hidden } : {}),
        updated_at: event.data.updated_at,
      };
      break;
    }
    default:
      assert(false, `${event.type} does not belong to an achievement stream`);
  }
  state.revision = event.streamPosition ?? state.revision + 1n;
  remember(state.memory, event, state.definition);
  return state;
}

/** Folds an event of stream `progress-<app_id>-<key>-<user_id>`. */
export function evolveProgress(state: ProgressState, event: AppliedEvent): ProgressState {
  switch (event.type) {
    case 'AchievementCommandRefused':
      break; // changes nothing but the command's record (see remember)
    case 'ProgressRecorded':
      // The rule decide() enforces: progress only ever goes up.
      assert(event.data.progress > state.progress, `progress of ${event.data.user_id} went from ${state.progress} to ${event.data.progress}`);
      state.progress = event.data.progress;
      break;
    case 'AchievementUnlocked':
      assert(state.unlocked_at === null, `${event.data.key} unlocked twice for ${event.data.user_id}`);
      state.unlocked_at = event.data.unlocked_at;
      state.unlock_id = event.data.unlock_id;
      break;
    default:
      assert(false, `${event.type} does not belong to a progress stream`);
  }
  state.revision = event.streamPosition ?? state.revision + 1n;
  remember(state.memory, event, state.snapshot());
  return state;
}

/**
 * Remembers the command behind the event (see CommandMemory): one with an Idempotency-Key for
 * the retention window, one without until its sender's deadline (a captured copy replayed on
 * NATS then gets the first answer, not a second increment); a refused one with its refusal.
 * What is remembered is the state the command left (`after`), which replay() answers from.
 * Forgotten by the stream's event time, so a stream read again forgets exactly what its live
 * state forgot.
 */
function remember<After>(memory: CommandMemory<After | null>, event: AppliedEvent, after: After | null): void {
  const nowMs = memory.advance(event.metadata, event, timeInData);
  const position = event.globalPosition?.toString();
  if (event.type === 'AchievementCommandRefused') {
    // Every decided refusal is recorded (the audit trail); a retry gets only a keyed one again.
    if (remembersRefusal(event.data, event.metadata)) memory.remember(event.metadata, nowMs, position, null, refusalIn(event.data));
  } else if (after !== null) memory.remember(event.metadata, nowMs, position, after);
}

/** The time of an event written before the metadata carried its decision time (a refusal carries none). */
const timeInData = timeInDataBy<AchievementEvent>({
  AchievementRegistered: 'registered_at',
  AchievementUpdated: 'updated_at',
  ProgressRecorded: 'recorded_at',
  AchievementUnlocked: 'unlocked_at',
  RewardGranted: 'granted_at',
  RewardWithheld: 'withheld_at',
  AchievementCommandRefused: null,
});

/** Invariant broken: the stream or the code is wrong, and deciding on would compound it. */
function assert(condition: boolean, message: string): asserts condition {
  assertInvariant('achievements', condition, message);
}
