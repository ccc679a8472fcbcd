/**
 * State of the two kinds of stream the service decides on. Each is folded from its own stream
 * only (evolve), so a command's decision reads exactly the streams it may write.
 */
import { DEFAULT_IDEMPOTENCY_RETENTION_MS, type AchievementReward } from '@coffer/contracts';

/** What the service remembers of a decided command, so a retry gets the first answer. */
export interface DecidedCommand<Reply = unknown> {
  request_hash: string;
  reply: Reply;
  /** Global position of the command's last event ('' until its append is durable). */
  position: string;
  /** Event time (epoch ms) from which it is forgotten: a retry then is decided afresh. */
  remembered_until_ms: number;
}

/** What every stream's state has: its revision, its clock, and the commands it remembers. */
interface StreamMemory<Reply> {
  revision: bigint;
  /** The latest event time folded (epoch ms): remembered commands are forgotten by it. */
  clockMs: number;
  readonly idempotencyRetentionMs: number;
  readonly commands: Map<string, DecidedCommand<Reply>>;
}

/** The command's record while it is remembered at `nowMs` (one past its window counts as forgotten). */
export function rememberedCommand<Reply>(state: StreamMemory<Reply>, commandId: string, nowMs: number): DecidedCommand<Reply> | undefined {
  const decided = state.commands.get(commandId);
  return decided && nowMs < decided.remembered_until_ms ? decided : undefined;
}

export interface AchievementDefinition {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward: AchievementReward | null;
  created_at: string;
  updated_at: string;
}

/** Stream `achievement-<app_id>-<key>`: the definition (null until registered). */
export class AchievementState implements StreamMemory<AchievementDefinition> {
  /** Stream revision the state includes (-1: the stream does not exist). */
  revision = -1n;
  clockMs = 0;
  definition: AchievementDefinition | null = null;
  readonly commands = new Map<string, DecidedCommand<AchievementDefinition>>();

  constructor(readonly idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS) {}

  /** A copy to decide on: the original stays as it was until the copy's events are durable. */
  clone(): AchievementState {
    const copy = new AchievementState(this.idempotencyRetentionMs);
    copy.revision = this.revision;
    copy.clockMs = this.clockMs;
    copy.definition = this.definition; // replaced, never mutated, by evolve
    for (const [id, decided] of this.commands) copy.commands.set(id, { ...decided });
    return copy;
  }
}

/** The user's progress as a command answers it (with the definition's goal added). */
export interface ProgressSnapshot {
  progress: number;
  unlocked_at: string | null;
}

/** Stream `progress-<app_id>-<key>-<user_id>`: one user's progress on one achievement. */
export class ProgressState implements StreamMemory<ProgressSnapshot> {
  revision = -1n;
  clockMs = 0;
  progress = 0;
  unlocked_at: string | null = null;
  unlock_id: string | null = null;
  readonly commands = new Map<string, DecidedCommand<ProgressSnapshot>>();

  constructor(readonly idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS) {}

  snapshot(): ProgressSnapshot {
    return { progress: this.progress, unlocked_at: this.unlocked_at };
  }
}
