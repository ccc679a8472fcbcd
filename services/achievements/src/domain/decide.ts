/**
 * decide(command, state, context): the achievements rules (its Decider: decider.ts). Pure: time comes in with the
 * context, ids are derived from the command, so the same inputs always give the same events.
 *
 * - keys are unique per app; registering the very same definition again changes nothing and
 *   answers the existing one, another definition under a taken key is a CONFLICT;
 * - goal and reward are fixed once registered (PATCH changes name, description, icon, hidden);
 * - progress never exceeds the goal and never goes back; reaching the goal unlocks once;
 * - a command id seen before answers its first reply again (with a request hash: refuses another hash).
 */
import {
  ACHIEVEMENT_KEY_MESSAGE,
  canonicalAmountMessage,
  canonicalUserIdMessage,
  currencyMessage,
  isAchievementDescription,
  isAchievementKey,
  isAchievementName,
  isCanonicalAmount,
  isCurrency,
  isGoal,
  isIconUrl,
  isProgressIncrement,
  isProgressValue,
  isUserId,
  MAX_ACHIEVEMENT_DESCRIPTION_LENGTH,
  MAX_ACHIEVEMENT_NAME_LENGTH,
  MAX_ICON_URL_LENGTH,
  nameMessage,
  refusal,
  TEXT_RULE,
  textMessage,
  type AchievementChanges,
  type AchievementCommand,
  type AchievementEvent,
  type AchievementReward,
  type RecordProgress,
  type RegisterAchievement,
  type Refusal,
  type Unlock,
  type UpdateAchievement,
} from '@coffer/contracts';
import { isDiscordSnowflake } from '@coffer/contracts';
import type { Decision as DeciderDecision } from '@coffer/decider';
import type { RememberedState } from './replies';
import type { AchievementDefinition, AchievementState, ProgressState } from './state';
import { unlockIdOf } from './streams';

export interface DecideContext {
  now: Date;
  /** The calling app: achievements belong to it. Null (the admin) may not use them. */
  app_id: string | null;
  /**
   * The app's scopes as its request carried them (the gateway's, from the ledger's app
   * settings); null or absent: every scope. Without `achievements` the app is refused.
   */
  app_scopes?: readonly string[] | null;
  command_id: string;
  /** Set when the client sent an Idempotency-Key: the command is then remembered for the window, else until its deadline. */
  request_hash: string | null;
}

/** The streams a command reads: the definition, and for progress commands the user's progress. */
export interface DecisionState {
  achievement: AchievementState;
  progress?: ProgressState;
}

export type Decision = DeciderDecision<AchievementEvent, RememberedState>;

const events = (...list: AchievementEvent[]): Decision => ({ kind: 'events', events: list });
const refuse = (...args: Parameters<typeof refusal>): Decision => ({ kind: 'refused', refusal: refusal(...args) });

export function isProgressCommand(command: AchievementCommand): command is RecordProgress | Unlock {
  return command.type === 'RecordProgress' || command.type === 'Unlock';
}

/** Null when the app's scopes (null or absent: every scope) hold `achievements`, else the 403. */
export function scopeRefusal(appScopes: readonly string[] | null | undefined): Refusal | null {
  if (!appScopes || appScopes.includes('achievements')) return null;
  return refusal('FORBIDDEN', 'this app lacks the scope achievements', { scope: 'achievements' });
}

export function decide(command: AchievementCommand, state: DecisionState, context: DecideContext): Decision {
  const invalid = validate(command);
  if (invalid) return { kind: 'refused', refusal: invalid };
  if (context.app_id === null) return refuse('FORBIDDEN', 'achievements belong to an app: call with its API key');
  // Like the ledger's scopes, checked before a replay: a scope taken away answers nothing more.
  const outOfScope = scopeRefusal(context.app_scopes);
  if (outOfScope) return { kind: 'refused', refusal: outOfScope };
  const progress = isProgressCommand(command) ? requireProgress(state) : undefined;
  // A command id seen before answers its first answer: for a key's window, or (no key) until its deadline.
  const keyed = Boolean(context.request_hash);
  const decided = (progress ?? state.achievement).memory.recall(context.command_id, keyed, context.now.getTime());
  if (decided) {
    return !keyed || decided.request_hash === context.request_hash
      ? { kind: 'replay', decided }
      : refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
  }
  const now = context.now.toISOString();
  switch (command.type) {
    case 'RegisterAchievement':
      return register(state.achievement.definition, command, context.app_id, now);
    case 'UpdateAchievement':
      return update(state.achievement.definition, command, now);
    case 'RecordProgress':
    case 'Unlock': {
      const definition = state.achievement.definition;
      if (!definition) return notFound(command.data.key);
      return recordProgress(definition, requireProgress(state), command, now);
    }
  }
}

function register(existing: AchievementDefinition | null, command: RegisterAchievement, appId: string, now: string): Decision {
  const wanted = {
    name: command.data.name.trim(),
    description: command.data.description,
    icon_url: command.data.icon_url,
    goal: command.data.goal,
    hidden: command.data.hidden,
    reward: command.data.reward ? { amount: command.data.reward.amount, currency: command.data.reward.currency } : null,
    discord_role_id: command.data.discord_role_id ?? null, // a gateway from before roles sends none
  };
  if (existing) {
    // Apps often register their achievements at every start: the same definition is a no-op,
    // answered with the existing achievement. Another one would silently change what users
    // earned (goal and reward are fixed): the key is taken (API.md, 409 CONFLICT).
    if (sameDefinition(existing, wanted)) return events();
    return refuse('CONFLICT', `achievement ${command.data.key} already exists with another definition`, { key: command.data.key });
  }
  return events({
    type: 'AchievementRegistered',
    data: { app_id: appId, key: command.data.key, ...wanted, registered_at: now },
  });
}

function sameDefinition(
  existing: AchievementDefinition,
  wanted: Pick<AchievementDefinition, 'name' | 'description' | 'icon_url' | 'goal' | 'hidden' | 'reward' | 'discord_role_id'>,
): boolean {
  return (
    existing.name === wanted.name &&
    existing.description === wanted.description &&
    existing.icon_url === wanted.icon_url &&
    existing.goal === wanted.goal &&
    existing.hidden === wanted.hidden &&
    existing.discord_role_id === wanted.discord_role_id &&
    sameReward(existing.reward, wanted.reward)
  );
}

function sameReward(a: AchievementReward | null, b: AchievementReward | null): boolean {
  return a === null || b === null ? a === b : a.amount === b.amount && a.currency === b.currency;
}

function update(existing: AchievementDefinition | null, command: UpdateAchievement, now: string): Decision {
  if (!existing) return notFound(command.data.key);
  const requested: AchievementChanges = { ...command.data.changes };
  if (requested.name !== undefined) requested.name = requested.name.trim();
  // Only what actually changes is recorded; a PATCH that changes nothing records nothing.
  const changes: AchievementChanges = {};
  for (const field of CHANGEABLE) {
    const value = requested[field];
    if (value !== undefined && value !== existing[field]) (changes as Record<string, unknown>)[field] = value;
  }
  if (Object.keys(changes).length === 0) return events();
  return events({
    type: 'AchievementUpdated',
    data: { app_id: existing.app_id, key: existing.key, changes, updated_at: now },
  });
}

function recordProgress(
  definition: AchievementDefinition,
  progress: ProgressState,
  command: RecordProgress | Unlock,
  now: string,
): Decision {
  if (progress.unlocked_at !== null) return events(); // at the goal for good: nothing can change
  let target: number;
  if (command.type === 'Unlock') target = definition.goal;
  else if (command.data.increment !== undefined) target = progress.progress + command.data.increment;
  else target = command.data.set as number;
  // Never beyond the goal, never back: a lower `set` changes nothing and answers the current state.
  const next = Math.min(definition.goal, Math.max(progress.progress, target));
  if (next === progress.progress) return events();
  const recorded: AchievementEvent = {
    type: 'ProgressRecorded',
    data: { app_id: definition.app_id, key: definition.key, user_id: command.data.user_id, progress: next, recorded_at: now },
  };
  if (next < definition.goal) return events(recorded);
  return events(recorded, {
    type: 'AchievementUnlocked',
    data: {
      unlock_id: unlockIdOf(definition.app_id, definition.key, command.data.user_id),
      app_id: definition.app_id,
      key: definition.key,
      user_id: command.data.user_id,
      unlocked_at: now,
      reward: definition.reward ? { ...definition.reward } : null,
    },
  });
}

function requireProgress(state: DecisionState): ProgressState {
  // The caller's mistake, never the client's: a progress command is decided on its user's stream.
  if (!state.progress) throw new Error('a progress command needs the progress state of its user');
  return state.progress;
}

const notFound = (key: string): Decision => refuse('NOT_FOUND', `achievement ${key} does not exist`);

// ---- validation ----------------------------------------------------------------------------

const CHANGEABLE = ['name', 'description', 'icon_url', 'hidden'] as const;

type Problems = Record<string, string[]>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const NAME_RULE = nameMessage('name', MAX_ACHIEVEMENT_NAME_LENGTH);

/**
 * Checks a command's fields (they arrive as JSON over NATS, maybe not from the gateway): the
 * same rules as the gateway's DTOs, so a request the gateway let through passes here too, and
 * decide() is total over any JSON. Messages name fields, never echo values. Null when valid.
 */
export function validate(command: unknown): Refusal | null {
  // Shaped {type, data}: a type that names the command, and its fields in an object.
  if (!isObject(command) || !isObject(command.data)) return refusal('VALIDATION_FAILED', 'malformed achievements command');
  const type = command.type;
  const c = command.data;
  const problems: Problems = {};
  const problem = (field: string, message: string) => (problems[field] ??= []).push(message);
  if (!isAchievementKey(c.key)) problem('key', ACHIEVEMENT_KEY_MESSAGE);
  switch (type) {
    case 'RegisterAchievement':
      if (!isAchievementName(c.name)) problem('name', NAME_RULE);
      checkDescription(c.description, problem);
      checkIconUrl(c.icon_url, problem);
      if (!isGoal(c.goal)) problem('goal', 'goal must be an integer from 1 to 1000000000');
      if (typeof c.hidden !== 'boolean') problem('hidden', 'hidden must be a boolean');
      checkReward(c.reward, problem);
      if (c.discord_role_id !== undefined && c.discord_role_id !== null && !isDiscordSnowflake(c.discord_role_id)) {
        problem('discord_role_id', 'discord_role_id must be null or a Discord role id (a snowflake, as a string of digits)');
      }
      break;
    case 'UpdateAchievement': {
      const changes = c.changes;
      if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
        problem('changes', 'changes must be an object');
        break;
      }
      const given = changes as Record<string, unknown>;
      const fields = Object.keys(given).filter((field) => given[field] !== undefined);
      for (const field of fields.filter((name) => !(CHANGEABLE as readonly string[]).includes(name))) {
        // A field name is echoed only when it is a plain name: any key may arrive over NATS.
        const named = /^[a-z_]{1,32}$/.test(field) ? field : 'changes';
        problem(named, `${named === 'changes' ? 'a field' : field} cannot be changed (only ${CHANGEABLE.join(', ')})`);
      }
      if (fields.length === 0) problem('changes', `give at least one of ${CHANGEABLE.join(', ')}`);
      if (given.name !== undefined && !isAchievementName(given.name)) problem('name', NAME_RULE);
      if (given.description !== undefined) checkDescription(given.description, problem);
      if (given.icon_url !== undefined) checkIconUrl(given.icon_url, problem);
      if (given.hidden !== undefined && typeof given.hidden !== 'boolean') problem('hidden', 'hidden must be a boolean');
      break;
    }
    case 'RecordProgress':
      checkUserId(c.user_id, problem);
      if (c.increment === undefined && c.set === undefined) {
        problem('increment', 'exactly one of increment or set is required');
      } else if (c.increment !== undefined && c.set !== undefined) {
        problem('increment', 'give either increment or set, not both');
      } else if (c.increment !== undefined && !isProgressIncrement(c.increment)) {
        problem('increment', 'increment must be a positive integer');
      } else if (c.set !== undefined && !isProgressValue(c.set)) {
        problem('set', 'set must be a non-negative integer');
      }
      break;
    case 'Unlock':
      checkUserId(c.user_id, problem);
      break;
    default:
      return refusal('VALIDATION_FAILED', 'unknown achievements command type');
  }
  return Object.keys(problems).length ? refusal('VALIDATION_FAILED', 'the command is not valid', { fields: problems }) : null;
}

type Report = (field: string, message: string) => void;

function checkDescription(value: unknown, problem: Report): void {
  if (!isAchievementDescription(value)) {
    problem('description', textMessage('description', MAX_ACHIEVEMENT_DESCRIPTION_LENGTH, { nullable: true }));
  }
}

function checkIconUrl(value: unknown, problem: Report): void {
  if (value !== null && !isIconUrl(value)) {
    problem('icon_url', `icon_url must be null or an http(s) URL of at most ${MAX_ICON_URL_LENGTH} characters (${TEXT_RULE})`);
  }
}

function checkReward(value: unknown, problem: Report): void {
  if (value === null) return;
  const reward = value as Record<string, unknown> | undefined;
  if (typeof reward !== 'object' || reward === null) {
    problem('reward', 'reward must be null or {amount, currency}');
    return;
  }
  // On the wire amounts are canonical decimal strings (no sign, no leading zero): values/amount.ts.
  if (!isCanonicalAmount(reward.amount)) problem('reward.amount', canonicalAmountMessage('reward.amount'));
  if (!isCurrency(reward.currency)) problem('reward.currency', currencyMessage('reward.currency'));
}

function checkUserId(value: unknown, problem: Report): void {
  // Canonical form only: the gateway sends every user id as its string.
  if (!isUserId(value)) problem('user_id', canonicalUserIdMessage('user_id'));
}
