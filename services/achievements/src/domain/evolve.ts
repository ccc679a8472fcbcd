/**
 * evolve(state, event): the only way the states change, on the live path and on replay alike.
 * No I/O, no clock: everything comes from the event.
 */
import type { AchievementEvent } from '@coffer/contracts';
import type { CommandMemory, CommandMetadata } from '@coffer/decider';
import type { AchievementState, ProgressState } from './state';

/** An event as the writer applies it: its metadata links it to the command that caused it. */
export type AppliedEvent = AchievementEvent & {
  metadata?: CommandMetadata;
  streamPosition?: bigint;
  globalPosition?: bigint;
};

/** Folds an event of stream `achievement-<app_id>-<key>`. */
export function evolveAchievement(state: AchievementState, event: AppliedEvent): void {
  switch (event.type) {
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
}

/** Folds an event of stream `progress-<app_id>-<key>-<user_id>`. */
export function evolveProgress(state: ProgressState, event: AppliedEvent): void {
  switch (event.type) {
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
}

/**
 * Remembers the command behind the event (see CommandMemory): one with an Idempotency-Key for
 * the retention window, one without until its sender's deadline (a captured copy replayed on
 * NATS then gets the first answer, not a second increment). Forgotten by the stream's event
 * time, so a stream read again forgets exactly what its live state forgot.
 */
function remember<Reply>(memory: CommandMemory<Reply>, event: AppliedEvent, reply: Reply | null): void {
  const nowMs = memory.advance(event.metadata, event, timeInData);
  if (reply !== null) memory.remember(event.metadata, nowMs, event.globalPosition?.toString(), reply);
}

/** The time of an event written before the metadata carried its decision time. */
function timeInData(event: AchievementEvent): number {
  switch (event.type) {
    case 'AchievementRegistered':
      return Date.parse(event.data.registered_at);
    case 'AchievementUpdated':
      return Date.parse(event.data.updated_at);
    case 'ProgressRecorded':
      return Date.parse(event.data.recorded_at);
    case 'AchievementUnlocked':
      return Date.parse(event.data.unlocked_at);
    default:
      return Date.parse(event.data.granted_at);
  }
}

/** Invariant broken: the stream or the code is wrong, and deciding on would compound it. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`achievements invariant violated: ${message}`);
}
