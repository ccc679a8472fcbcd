/**
 * evolve(state, event): the only way the states change, on the live path and on replay alike.
 * No I/O, no clock: everything comes from the event.
 */
import type { AchievementEvent } from '@coffer/contracts';
import type { AchievementState, DecidedCommand, ProgressState } from './state';

/** An event as the writer applies it: its metadata links it to the command that caused it. */
export type AppliedEvent = AchievementEvent & {
  /** decided_at_epoch_ms: when the writer decided it, the time remembered commands expire by. */
  metadata?: { command_id?: string | null; request_hash?: string | null; decided_at_epoch_ms?: number | null };
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
  remember(state, event, state.definition);
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
  remember(state, event, state.snapshot());
}

/**
 * Commands sent with a request hash (an Idempotency-Key) can be asked again: remember their
 * answer as of their last event, for the retention window from their decision. Merging is by
 * overwrite, since each reply is a full state view. The oldest are forgotten by the stream's
 * event time, so a stream read again forgets exactly what its live state forgot.
 */
function remember<Reply>(
  state: { clockMs: number; idempotencyRetentionMs: number; commands: Map<string, DecidedCommand<Reply>> },
  event: AppliedEvent,
  reply: Reply | null,
): void {
  const nowMs = eventTimeMs(event, state.clockMs);
  state.clockMs = Math.max(state.clockMs, nowMs);
  for (const [commandId, decided] of state.commands) {
    if (decided.remembered_until_ms > state.clockMs) break;
    state.commands.delete(commandId);
  }
  const commandId = event.metadata?.command_id;
  const requestHash = event.metadata?.request_hash;
  if (!commandId || !requestHash || reply === null) return;
  const previous = state.commands.get(commandId);
  const alive = previous !== undefined && previous.remembered_until_ms > nowMs;
  if (previous && !alive) state.commands.delete(commandId); // a new command with an id forgotten but not yet pruned
  state.commands.set(commandId, {
    request_hash: requestHash,
    reply,
    position: event.globalPosition?.toString() ?? (alive ? previous.position : ''),
    remembered_until_ms: nowMs + state.idempotencyRetentionMs,
  });
}

/** When the event's command was decided: in the metadata, or (events written before it was) in the data. */
function eventTimeMs(event: AppliedEvent, clockMs: number): number {
  const decided = event.metadata?.decided_at_epoch_ms;
  if (typeof decided === 'number' && Number.isFinite(decided)) return decided;
  const written = Date.parse(timeInData(event));
  return Number.isNaN(written) ? clockMs : written;
}

function timeInData(event: AchievementEvent): string {
  switch (event.type) {
    case 'AchievementRegistered':
      return event.data.registered_at;
    case 'AchievementUpdated':
      return event.data.updated_at;
    case 'ProgressRecorded':
      return event.data.recorded_at;
    case 'AchievementUnlocked':
      return event.data.unlocked_at;
    default:
      return event.data.granted_at;
  }
}

/** Invariant broken: the stream or the code is wrong, and deciding on would compound it. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`achievements invariant violated: ${message}`);
}
