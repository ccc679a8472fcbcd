/** Domain events of the achievements context (version 1 each). */
import type { ErrorCode } from '../errors';
export interface AchievementReward {
  amount: string;
  currency: string;
}

export interface AchievementRegistered {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward: AchievementReward | null;
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
 * Internal (never on a public subject): the achievements service refused a command sent with an
 * Idempotency-Key. Recorded on the stream the command was decided on, so that a retry with the
 * same key and body gets this refusal again, also after a restart and even if the state has
 * changed since, as the ledger's CommandRefused does. The command's id and request hash are in
 * the metadata.
 */
export interface AchievementCommandRefused {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface AchievementEventMap {
  AchievementRegistered: AchievementRegistered;
  AchievementUpdated: AchievementUpdated;
  ProgressRecorded: ProgressRecorded;
  AchievementUnlocked: AchievementUnlocked;
  RewardGranted: RewardGranted;
  AchievementCommandRefused: AchievementCommandRefused;
}

export type AchievementEventType = keyof AchievementEventMap;

export type AchievementEvent = {
  [Type in AchievementEventType]: { type: Type; data: AchievementEventMap[Type] };
}[AchievementEventType];
