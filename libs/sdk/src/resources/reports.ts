/**
 * What the books say over time (API.md, "Money operations beyond seed 000"): a wallet's
 * statement, and the community's leaderboards. Reads only: no Idempotency-Key, retried like
 * every call.
 */
import { segment, type CallOptions, type Transport } from '../transport.js';
import type { AchievementRank, BalanceRank, Statement } from '../types.js';
import { encodeUserId, type UserIdInput } from '../values.js';

export interface StatementQuery {
  /** Default: the realm's default currency. */
  currency?: string;
  /** Movements posted at or after it; the opening balance is the posted balance just before it. */
  from?: string | Date;
  /** Movements posted before it. */
  to?: string | Date;
  /** Wait until the read models include the write at this position (an X-Coffer-Position header). */
  min_position?: string;
}

export interface LeaderboardQuery {
  /** 1–100 (default 100). */
  limit?: number;
  min_position?: string;
}

const time = (value: string | Date | undefined) => (value instanceof Date ? value.toISOString() : value);

export class Statements {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /**
   * GET /finance/statement/:user_id: complete or refused — a period of more movements than the
   * server answers at once throws LimitExceededError whose details.split_at says where to split.
   */
  async get(userId: UserIdInput, query: StatementQuery = {}, options?: CallOptions): Promise<Statement> {
    return (await this.transport.call<Statement>({ method: 'GET', path: this.path(userId), query: this.query(query), options })).body;
  }

  /** The same statement as CSV text (a header row, the opening balance first, the closing balance last). */
  async csv(userId: UserIdInput, query: StatementQuery = {}, options?: CallOptions): Promise<string> {
    return (await this.transport.call<unknown>({ method: 'GET', path: this.path(userId), query: { ...this.query(query), format: 'csv' }, options })).text;
  }

  private path(userId: UserIdInput): string {
    return `/finance/statement/${segment(encodeUserId(userId))}`;
  }

  private query(query: StatementQuery) {
    return { currency: query.currency, from: time(query.from), to: time(query.to), min_position: query.min_position };
  }
}

export class Leaderboards {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** GET /leaderboards/balances: wallets by posted balance in a currency, highest first. */
  async balances(query: LeaderboardQuery & { currency?: string } = {}, options?: CallOptions): Promise<BalanceRank[]> {
    return (await this.transport.call<{ data: BalanceRank[] }>({ method: 'GET', path: '/leaderboards/balances', query: { ...query }, options })).body.data;
  }

  /** GET /leaderboards/achievements: users by achievements unlocked across every app. */
  async achievements(query: LeaderboardQuery = {}, options?: CallOptions): Promise<AchievementRank[]> {
    return (await this.transport.call<{ data: AchievementRank[] }>({ method: 'GET', path: '/leaderboards/achievements', query: { ...query }, options })).body.data;
  }
}
