/** The feed's JSON Schemas of the achievement's events (events.ts), per schema version. */
import { ERROR_STATUS } from '../errors';
import { currentRecord, FEED_VALUES as V, record, type FeedEventEntry } from '../events/feed-values';
import { MAX_ACHIEVEMENT_DESCRIPTION_LENGTH, MAX_ACHIEVEMENT_NAME_LENGTH, MAX_GOAL, MAX_ICON_URL_LENGTH } from './commands';
import type { AchievementConceptEventMap, AchievementRegistered, AchievementUnlocked, AchievementUpdated, ProgressRecorded, RewardGranted, RewardWithheld } from './events';

const reward = record({ amount: V.amount, currency: V.currency });
const achievementName = V.text(MAX_ACHIEVEMENT_NAME_LENGTH, 1);
const achievementDescription = V.nullable(V.text(MAX_ACHIEVEMENT_DESCRIPTION_LENGTH));
const iconUrl = V.nullable(V.text(MAX_ICON_URL_LENGTH));

export const ACHIEVEMENT_FEED = {
  AchievementRegistered: {
    summary: 'An app defined an achievement.',
    versions: {
      1: currentRecord<AchievementRegistered>({
        app_id: V.appId,
        key: V.achievementKey,
        name: achievementName,
        description: achievementDescription,
        icon_url: iconUrl,
        goal: { type: 'integer', minimum: 1, maximum: MAX_GOAL },
        hidden: { type: 'boolean' },
        reward: V.nullable(reward),
        registered_at: V.time,
      }),
    },
  },
  AchievementUpdated: {
    summary: "An achievement's presentation changed (only the fields in changes).",
    versions: {
      1: currentRecord<AchievementUpdated>({
        app_id: V.appId,
        key: V.achievementKey,
        changes: record({ name: achievementName, description: achievementDescription, icon_url: iconUrl, hidden: { type: 'boolean' } }, [
          'name',
          'description',
          'icon_url',
          'hidden',
        ]),
        updated_at: V.time,
      }),
    },
  },
  ProgressRecorded: {
    summary: "A user's progress towards an achievement (absolute, capped at the goal).",
    versions: {
      1: currentRecord<ProgressRecorded>({ app_id: V.appId, key: V.achievementKey, user_id: V.userId, progress: { type: 'integer', minimum: 0, maximum: MAX_GOAL }, recorded_at: V.time }),
    },
  },
  AchievementUnlocked: {
    summary: 'A user unlocked an achievement (once per app, key and user).',
    versions: {
      1: currentRecord<AchievementUnlocked>({ unlock_id: V.id, app_id: V.appId, key: V.achievementKey, user_id: V.userId, unlocked_at: V.time, reward: V.nullable(reward) }),
    },
  },
  RewardGranted: {
    summary: "An unlock's reward was paid (transaction_id is the ledger's grant).",
    versions: {
      1: currentRecord<RewardGranted>({
        unlock_id: V.id,
        app_id: V.appId,
        key: V.achievementKey,
        user_id: V.userId,
        transaction_id: V.serial,
        amount: V.amount,
        currency: V.currency,
        granted_at: V.time,
      }),
    },
  },
  RewardWithheld: {
    summary: "The ledger refused an unlock's reward (for example the app's daily mint limit): it is held and sent again from retry_at.",
    versions: {
      1: currentRecord<RewardWithheld>({
        unlock_id: V.id,
        app_id: V.appId,
        key: V.achievementKey,
        user_id: V.userId,
        amount: V.amount,
        currency: V.currency,
        attempt: { type: 'integer', minimum: 1 },
        code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        message: V.text(1000),
        withheld_at: V.time,
        retry_at: V.time,
      }),
    },
  },
} satisfies Record<keyof AchievementConceptEventMap, FeedEventEntry>;
