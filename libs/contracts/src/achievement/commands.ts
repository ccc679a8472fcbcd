/**
 * Commands the gateway sends to the achievements service (NATS pattern
 * PATTERNS.achievementsCommands) and the one query it answers there. Every request acts for
 * the calling app (meta.app_id): achievements are per app, their keys unique inside it. Each
 * request's meta carries command_id (dedupe) and, for commands, the body carries the request
 * hash that lets the service refuse a reused idempotency key.
 *
 * The field rules live here, once: the gateway's DTOs and the service's decide() check with
 * the same functions, so "valid at the gateway" and "valid in the service" cannot drift apart.
 */
import type { Command } from '../envelope';
import type { AchievementDefinitionFields } from './events';
import type { AchievementKey } from '../values/achievement-key';
import { isName } from '../values/name';
import { isText } from '../values/text';
import type { UserId } from '../values/user-id';

export const MAX_ACHIEVEMENT_NAME_LENGTH = 100;
export const MAX_ACHIEVEMENT_DESCRIPTION_LENGTH = 500;
export const MAX_ICON_URL_LENGTH = 2048;
/** Largest goal: progress is a plain integer, far inside a JSON number's exact range. */
export const MAX_GOAL = 1_000_000_000;

/** A name (values/name.ts) of 1-100 characters. */
export function isAchievementName(value: unknown): value is string {
  return isName(value, MAX_ACHIEVEMENT_NAME_LENGTH);
}

/** A description: null, or text (values/text.ts) of at most 500 characters. */
export function isAchievementDescription(value: unknown): value is string | null {
  return value === null || isText(value, MAX_ACHIEVEMENT_DESCRIPTION_LENGTH);
}

/** An absolute http(s) URL: text of at most 2048 characters, with a host and no white space. */
export function isIconUrl(value: unknown): value is string {
  if (!isText(value, MAX_ICON_URL_LENGTH) || value.length === 0) return false;
  // The URL parser would silently strip these; a stored URL must be exactly what was checked.
  if (/\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** A goal: an integer from 1 (a plain unlock) to 10^9. */
export function isGoal(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_GOAL;
}

/** An increment of progress: a positive integer (beyond the goal it just reaches the goal). */
export function isProgressIncrement(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** An absolute progress: a non-negative integer (beyond the goal it just reaches the goal). */
export function isProgressValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A Discord id (snowflake): digits only, at most 20 (64 bits). */
export const DISCORD_SNOWFLAKE_PATTERN = /^[0-9]{1,20}$/;

export function isDiscordSnowflake(value: unknown): value is string {
  return typeof value === 'string' && DISCORD_SNOWFLAKE_PATTERN.test(value) && BigInt(value) > 0n && BigInt(value) < 2n ** 64n;
}

export type RegisterAchievement = Command<'RegisterAchievement', AchievementDefinitionFields>;

/** What PATCH may change; goal and reward are fixed once registered (progress and payouts rely on them). */
export interface AchievementChanges {
  name?: string;
  description?: string | null;
  icon_url?: string | null;
  hidden?: boolean;
}

export type UpdateAchievement = Command<'UpdateAchievement', { key: AchievementKey; changes: AchievementChanges }>;

/** Exactly one of `increment` and `set`. */
export type RecordProgress = Command<'RecordProgress', { key: AchievementKey; user_id: UserId; increment?: number; set?: number }>;

/** Sets the user's progress to the goal. */
export type Unlock = Command<'Unlock', { key: AchievementKey; user_id: UserId }>;

export type AchievementCommand = RegisterAchievement | UpdateAchievement | RecordProgress | Unlock;
export type AchievementCommandType = AchievementCommand['type'];

/** Answered from the achievement's own stream: exact, read-your-writes. */
export interface GetAchievement {
  type: 'GetAchievement';
  key: AchievementKey;
}

export type AchievementQuery = GetAchievement;

export interface AchievementCommandBody {
  command: AchievementCommand;
  /** SHA-256 of what the client sent (method, path, body): same key + other body = reuse. Null: no dedupe. */
  request_hash: string | null;
}

export interface AchievementQueryBody {
  query: AchievementQuery;
}

/** What travels on PATTERNS.achievementsCommands: a command (answered with a CommandReply) or a query. */
export type AchievementRequestBody = AchievementCommandBody | AchievementQueryBody;

// ---- replies -------------------------------------------------------------------------------

export interface AchievementReply extends AchievementDefinitionFields {
  app_id: string;
  created_at: string;
  updated_at: string;
}

/**
 * RegisterAchievement's answer: the achievement, and whether this command created it. False when
 * the key already held this very definition (a no-op, API.md: answered with 200, not 201). The
 * gateway chooses the status from it and leaves it out of the HTTP body (API.md does not list it).
 */
export interface RegisterAchievementReply extends AchievementReply {
  created: boolean;
}

export interface ProgressReply {
  key: AchievementKey;
  user_id: UserId;
  progress: number;
  goal: number;
  unlocked: boolean;
  unlocked_at: string | null;
}
