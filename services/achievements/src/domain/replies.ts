/**
 * What the service's commands answer, built from the command and the state its events left: the
 * same shape whether decided now (reply) or asked again (replay, from the state the command's
 * memory kept). Evolve builds none of it.
 */
import type { AchievementCommand, AchievementReply, ProgressReply, RegisterAchievementReply } from '@coffer/contracts';
import { assertInvariant, type RememberedCommand } from '@coffer/decider';
import { isProgressCommand, type DecisionState } from './decide';
import type { AchievementDefinition, ProgressSnapshot } from './state';

/**
 * A definition command answers the achievement (a register says too whether it created it); a
 * progress command the user's progress on it.
 */
export type AchievementsAnswer = AchievementReply | RegisterAchievementReply | ProgressReply;

/** What a command's memory keeps: the definition (definition commands) or the user's progress (progress commands); null for a refusal. */
export type RememberedState = AchievementDefinition | ProgressSnapshot | null;

/** The answer to a command decided now: `stateAfter` includes its events. */
export function reply(command: AchievementCommand, events: readonly unknown[], stateAfter: DecisionState): AchievementsAnswer {
  const definition = definitionOf(stateAfter);
  // decide() answers a register of the very same definition with no event: nothing was created.
  if (command.type === 'RegisterAchievement') return { ...achievementReply(definition), created: events.length > 0 };
  if (!isProgressCommand(command)) return achievementReply(definition);
  // decide() refuses a progress command without its user's progress state before any reply.
  const progress = stateAfter.progress?.snapshot() ?? { progress: 0, unlocked_at: null };
  return progressReply(definition, command.data.user_id, progress);
}

/** The first answer again, from the state the command left (its memory's record). */
export function replay(command: AchievementCommand, remembered: RememberedCommand<RememberedState>, state: DecisionState): AchievementsAnswer {
  const after = remembered.reply;
  // Only a command that recorded an event is remembered (a no-op is decided again when sent
  // again), so a register answered from memory is the one that created the achievement.
  if (command.type === 'RegisterAchievement') return { ...achievementReply(after as AchievementDefinition), created: true };
  if (!isProgressCommand(command)) return achievementReply(after as AchievementDefinition);
  return progressReply(definitionOf(state), command.data.user_id, after as ProgressSnapshot);
}

export function achievementReply(definition: AchievementDefinition): AchievementReply {
  return {
    app_id: definition.app_id,
    key: definition.key,
    name: definition.name,
    description: definition.description,
    icon_url: definition.icon_url,
    goal: definition.goal,
    hidden: definition.hidden,
    reward: definition.reward ? { ...definition.reward } : null,
    discord_role_id: definition.discord_role_id,
    created_at: definition.created_at,
    updated_at: definition.updated_at,
  };
}

export function progressReply(definition: AchievementDefinition, userId: string, snapshot: ProgressSnapshot): ProgressReply {
  return {
    key: definition.key,
    user_id: userId,
    progress: snapshot.progress,
    goal: definition.goal,
    unlocked: snapshot.unlocked_at !== null,
    unlocked_at: snapshot.unlocked_at,
  };
}

function definitionOf(state: DecisionState): AchievementDefinition {
  const { definition } = state.achievement;
  // decide() refuses every command on a missing achievement before a reply is built.
  assertInvariant('achievements', definition !== null, 'a reply without a definition');
  return definition;
}
