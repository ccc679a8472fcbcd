/**
 * State of the two kinds of stream the service decides on. Each is folded from its own stream
 * only (evolve), so a command's decision reads exactly the streams it may write.
 */
import { DEFAULT_IDEMPOTENCY_RETENTION_MS, type AchievementRegistered } from '@coffer/contracts';
import { CommandMemory } from '@coffer/decider';

/**
 * A command's memory keeps the state its events left (null for a refusal, which is kept as
 * such): a later event's replaces an earlier one's.
 */
const latest = <After>(_previous: After, next: After): After => next;

/** A registered achievement: what AchievementRegistered set, with when it was created and last updated. */
export type AchievementDefinition = Omit<AchievementRegistered, 'registered_at'> & { created_at: string; updated_at: string };

/** Stream `achievement-<app_id>-<key>`: the definition (null until registered). */
export class AchievementState {
  /** Stream revision the state includes (-1: the stream does not exist). */
  revision = -1n;
  definition: AchievementDefinition | null = null;
  /** The commands decided on this stream, so one sent again gets its first answer (forgotten by event time). */
  readonly memory: CommandMemory<AchievementDefinition | null>;

  constructor(idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS, memory?: CommandMemory<AchievementDefinition | null>) {
    this.memory = memory ?? new CommandMemory<AchievementDefinition | null>(idempotencyRetentionMs, latest);
  }

  /** A copy to decide on: the original stays as it was until the copy's events are durable. */
  clone(): AchievementState {
    const copy = new AchievementState(this.memory.fallbackRetentionMs, this.memory.copy());
    copy.revision = this.revision;
    copy.definition = this.definition; // replaced, never mutated, by evolve
    return copy;
  }
}

/** The user's progress as a command answers it (with the definition's goal added). */
export interface ProgressSnapshot {
  progress: number;
  unlocked_at: string | null;
}

/** Stream `progress-<app_id>-<key>-<user_id>`: one user's progress on one achievement. */
export class ProgressState {
  revision = -1n;
  progress = 0;
  unlocked_at: string | null = null;
  unlock_id: string | null = null;
  readonly memory: CommandMemory<ProgressSnapshot | null>;

  constructor(idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS) {
    this.memory = new CommandMemory<ProgressSnapshot | null>(idempotencyRetentionMs, latest);
  }

  snapshot(): ProgressSnapshot {
    return { progress: this.progress, unlocked_at: this.unlocked_at };
  }
}
