/** Replies of the service, built from state: the same shape whether decided now or replayed. */
import type { AchievementReply, ProgressReply } from '@coffer/contracts';
import type { AchievementDefinition, ProgressSnapshot } from './state';

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
