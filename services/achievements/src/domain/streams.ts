/**
 * Stream names of the achievements context: one stream per achievement definition, one per
 * user's progress on it, one per reward payment. Contention is therefore per achievement and
 * per (achievement, user), never global.
 *
 * App ids, keys and user ids may contain `-`, the separator, so `progress-app_1-a-b-c` could be
 * key `a-b` of user `c` or key `a` of user `b-c`. Each part has its `-` written as `~` (a
 * character none of them may contain), which keeps every name unambiguous and readable.
 */
import { createHash } from 'node:crypto';

const part = (value: string): string => value.replace(/-/g, '~');

export const ACHIEVEMENT_STREAM_PREFIX = 'achievement-';
export const PROGRESS_STREAM_PREFIX = 'progress-';
export const REWARD_STREAM_PREFIX = 'reward-';

export function achievementStream(appId: string, key: string): string {
  return `${ACHIEVEMENT_STREAM_PREFIX}${part(appId)}-${part(key)}`;
}

export function progressStream(appId: string, key: string, userId: string): string {
  return `${PROGRESS_STREAM_PREFIX}${part(appId)}-${part(key)}-${part(userId)}`;
}

export function rewardStream(unlockId: string): string {
  return `${REWARD_STREAM_PREFIX}${unlockId}`;
}

/**
 * The id of a user's unlock of an achievement. An achievement unlocks once per user, so the id
 * is a function of (app, key, user): deterministic (decide stays pure) and the same whoever
 * decides it. It names the reward's stream and the ledger command that pays it.
 */
export function unlockIdOf(appId: string, key: string, userId: string): string {
  return createHash('sha256').update(JSON.stringify([appId, key, userId]), 'utf8').digest('hex').slice(0, 32);
}
