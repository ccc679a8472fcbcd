/** Service replies and read-model rows shaped exactly as API.md shows them. */
import type { AchievementReply, ProgressReply } from '@coffer/contracts';
import type { AchievementView, ProgressView } from '@coffer/contracts/http';

export function achievementView(reply: AchievementReply): AchievementView {
  return {
    app_id: reply.app_id,
    key: reply.key,
    name: reply.name,
    description: reply.description ?? null,
    icon_url: reply.icon_url ?? null,
    goal: reply.goal,
    hidden: reply.hidden,
    reward: reply.reward ? { amount: reply.reward.amount, currency: reply.reward.currency } : null,
    discord_role_id: reply.discord_role_id ?? null,
    created_at: reply.created_at,
    updated_at: reply.updated_at,
  };
}

export function progressView(reply: ProgressReply): ProgressView {
  return {
    key: reply.key,
    user_id: reply.user_id,
    progress: reply.progress,
    goal: reply.goal,
    unlocked: reply.unlocked,
    unlocked_at: reply.unlocked_at ?? null,
  };
}
