/** The achievement routes (API.md, "Achievements"): definitions, progress, unlocks, badges, stats. */
import { PageIterator } from '../paging.js';
import { segment, type CallOptions, type Transport } from '../transport.js';
import type { Achievement, AchievementStats, Page, Progress, UserAchievement } from '../types.js';
import { encodeAmount, encodeKey, encodeUserId, InvalidArgumentError, type AmountInput, type UserIdInput } from '../values.js';

export interface DefineAchievementBody {
  key: string;
  name: string;
  description?: string | null;
  icon_url?: string | null;
  /** Progress that unlocks it (default 1: a plain unlock). */
  goal?: number;
  /** Shown in a user's badges only once unlocked. */
  hidden?: boolean;
  /** Credited once per user on unlock, from the app's house account. */
  reward?: { amount: AmountInput; currency?: string } | null;
  /** A Discord role id (snowflake, as a string) given to the member on unlock. */
  discord_role_id?: string | null;
}

/** What may change after definition (goal and reward are fixed: progress and payouts rely on them). */
export interface AchievementChanges {
  name?: string;
  description?: string | null;
  icon_url?: string | null;
  hidden?: boolean;
}

/** Exactly one of increment (adds) and set (never lowers the progress). */
export type ProgressBody = { user_id: UserIdInput } & ({ increment: number; set?: never } | { set: number; increment?: never });

export interface ListQuery {
  /** Items per page, 1–100. */
  limit?: number;
  /** Start after this cursor. */
  cursor?: string;
}

export class Achievements {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** POST /achievements: defines one (the same definition again answers the existing one; another is a ConflictError). */
  async define(body: DefineAchievementBody, options?: CallOptions): Promise<Achievement> {
    const payload = {
      ...body,
      key: encodeKey(body.key),
      ...(body.reward ? { reward: { ...body.reward, amount: encodeAmount(body.reward.amount, 'reward.amount') } } : {}),
    };
    return (await this.transport.call<Achievement>({ method: 'POST', path: '/achievements', body: payload, options })).body;
  }

  /** GET /achievements: the app's achievements by key, every page by cursor. */
  list(query: ListQuery = {}, options?: CallOptions): PageIterator<Achievement> {
    return new PageIterator(
      async (cursor) =>
        (await this.transport.call<Page<Achievement>>({ method: 'GET', path: '/achievements', query: { limit: query.limit, cursor }, options })).body,
      query.cursor,
    );
  }

  /** GET /achievements/:key */
  async get(key: string, options?: CallOptions): Promise<Achievement> {
    return (await this.transport.call<Achievement>({ method: 'GET', path: `/achievements/${segment(encodeKey(key))}`, options })).body;
  }

  /** PATCH /achievements/:key: name, description, icon_url, hidden. */
  async update(key: string, changes: AchievementChanges, options?: CallOptions): Promise<Achievement> {
    const path = `/achievements/${segment(encodeKey(key))}`;
    return (await this.transport.call<Achievement>({ method: 'PATCH', path, body: changes, options })).body;
  }

  /** POST /achievements/:key/progress: progress stops at the goal; reaching it unlocks once. */
  async progress(key: string, body: ProgressBody, options?: CallOptions): Promise<Progress> {
    const given = [body.increment, body.set].filter((value) => value !== undefined).length;
    if (given !== 1) throw new InvalidArgumentError('increment/set', 'exactly one of increment and set is required');
    const payload = {
      user_id: encodeUserId(body.user_id),
      ...(body.increment !== undefined ? { increment: body.increment } : { set: body.set }),
    };
    const path = `/achievements/${segment(encodeKey(key))}/progress`;
    return (await this.transport.call<Progress>({ method: 'POST', path, body: payload, options })).body;
  }

  /** POST /achievements/:key/unlock: sets the user's progress to the goal. */
  async unlock(key: string, userId: UserIdInput, options?: CallOptions): Promise<Progress> {
    const path = `/achievements/${segment(encodeKey(key))}/unlock`;
    return (await this.transport.call<Progress>({ method: 'POST', path, body: { user_id: encodeUserId(userId) }, options })).body;
  }

  /** GET /users/:user_id/achievements: the user's badges across all apps, every page by cursor. */
  listForUser(userId: UserIdInput, query: ListQuery = {}, options?: CallOptions): PageIterator<UserAchievement> {
    const path = `/users/${segment(encodeUserId(userId))}/achievements`;
    return new PageIterator(
      async (cursor) =>
        (await this.transport.call<Page<UserAchievement> & { user_id: string }>({ method: 'GET', path, query: { limit: query.limit, cursor }, options })).body,
      query.cursor,
    );
  }

  /** GET /achievements/:key/stats */
  async stats(key: string, options?: CallOptions): Promise<AchievementStats> {
    return (await this.transport.call<AchievementStats>({ method: 'GET', path: `/achievements/${segment(encodeKey(key))}/stats`, options })).body;
  }
}
