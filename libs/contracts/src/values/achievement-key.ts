/** AchievementKey: names an achievement, unique within its app; an id (id.ts) the app chooses. */
import { ID_PATTERN, ID_SCHEMA, idMessage, isId, type Id } from './id';

export type AchievementKey = Id;

export const ACHIEVEMENT_KEY_PATTERN = ID_PATTERN;

export function isAchievementKey(value: unknown): value is AchievementKey {
  return isId(value);
}

export const ACHIEVEMENT_KEY_MESSAGE = idMessage('key');

export const ACHIEVEMENT_KEY_SCHEMA = {
  ...ID_SCHEMA,
  description: 'the achievement, unique within the app',
  example: 'first_blackjack',
} as const;
