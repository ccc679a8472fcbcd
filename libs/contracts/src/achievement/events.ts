import type { AchievementKey } from '../values/achievement-key';
import type { ErrorCode } from '../errors';

/** Domain events of the achievements context (version 1 each). */
export interface AchievementReward {
  amount: string;
  currency: string;
}

/** What an app defines about an achievement: the command registers it, the event records it, the reply shows it. */
export interface AchievementDefinitionFields {
  key: AchievementKey;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward: AchievementReward | null;
}

export interface AchievementRegistered extends AchievementDefinitionFields {
  app_id: string;
  registered_at: string;
}

export interface AchievementUpdated {
  app_id: string;
  key: string;
  changes: Partial<Pick<AchievementRegistered, 'name' | 'description' | 'icon_url' | 'hidden'>>;
  updated_at: string;
}

export interface ProgressRecorded {
  app_id: string;
  key: string;
  user_id: string;
  progress: number;
  recorded_at: string;
}

export interface AchievementUnlocked {
  /** Unique per (app, key, user): the idempotency key of the reward payment. */
  unlock_id: string;
  app_id: string;
  key: string;
  user_id: string;
  unlocked_at: string;
  reward: AchievementReward | null;
}

export interface RewardGranted {
  unlock_id: string;
  app_id: string;
  key: string;
  user_id: string;
  transaction_id: number;
  amount: string;
  currency: string;
  granted_at: string;
}

/**
 * The ledger refused an unlock's reward (the app's daily mint limit, or a currency or scope the
 * app no longer has): the reward is held, not lost, and sent again from `retry_at` (the next UTC
 * day, when a mint limit starts afresh) as attempt `attempt + 1`, until it is granted.
 */
export interface RewardWithheld {
  unlock_id: string;
  app_id: string;
  key: string;
  user_id: string;
  amount: string;
  currency: string;
  /** 1 for the first payment refused; each attempt is sent with a command id of its own. */
  attempt: number;
  /** The ledger's refusal, as it answered. */
  code: ErrorCode;
  message: string;
  withheld_at: string;
  retry_at: string;
}

/** The achievement's own events, all public (the writer's refusals are in ../writer). */
export interface AchievementConceptEventMap {
  AchievementRegistered: AchievementRegistered;
  AchievementUpdated: AchievementUpdated;
  ProgressRecorded: ProgressRecorded;
  AchievementUnlocked: AchievementUnlocked;
  RewardGranted: RewardGranted;
  RewardWithheld: RewardWithheld;
}
