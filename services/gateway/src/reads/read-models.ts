import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { userAccount, type BalanceReply, type FinanceEventDetails, type TransactionReply } from '@coffer/contracts';
import { CONFIG, type CofferConfig } from '@coffer/platform';
import { ApiError } from '../http/api-error';
import { CheckpointWatcher } from './checkpoint-watcher';
import { DB_POOL } from '../tokens';

export interface TransactionFilter {
  /** The calling app: without user_id, an app lists only the transactions it caused. */
  app_id: string;
  user_id?: string;
  event_id?: number;
  from?: Date;
  to?: Date;
  type?: string;
  status?: string;
  limit: number;
  page?: number;
  /** Exclusive upper bound on transaction_id (newest first), from the previous next_cursor. */
  before?: number;
}

const TRANSACTION_COLUMNS = `transaction_id, event_id, app_id, type, user_id, to_user_id, amount::text AS amount,
  currency, status, description, created_at`;

/** Queries on the read models (the `coffer_read` views of the serving generation). */
@Injectable()
export class ReadModels implements OnModuleInit, OnApplicationShutdown {
  readonly checkpoint: CheckpointWatcher;

  constructor(
    @Inject(DB_POOL) private readonly pool: Pool,
    @Inject(CONFIG) config: CofferConfig,
  ) {
    this.checkpoint = new CheckpointWatcher(config.databaseUrl, () => this.position());
  }

  onModuleInit(): Promise<void> {
    return this.checkpoint.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.checkpoint.close();
  }

  /** Before the projector's first start the views do not exist: that is "not ready", not a fault. */
  private async query(sql: string, params: unknown[] = []) {
    try {
      return await this.pool.query(sql, params);
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') {
        throw new ApiError('UNAVAILABLE', 'the read models are not ready yet (is the projector running?)');
      }
      throw error;
    }
  }

  async balance(userId: string): Promise<BalanceReply> {
    const { rows } = await this.query(
      `SELECT currency, (posted - pending_debit)::text AS available, posted::text, pending_debit::text, pending_credit::text
         FROM coffer_read.accounts WHERE account = $1 ORDER BY currency`,
      [userAccount(userId)],
    );
    return { user_id: userId, balances: rows };
  }

  async transactions(filter: TransactionFilter): Promise<{ data: TransactionReply[]; next_cursor: string | null }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.event_id !== undefined) conditions.push(`event_id = ${param(filter.event_id)} AND app_id = ${param(filter.app_id)}`);
    if (filter.from) conditions.push(`created_at >= ${param(filter.from)}`);
    if (filter.to) conditions.push(`created_at < ${param(filter.to)}`);
    if (filter.type) conditions.push(`type = ${param(filter.type)}`);
    if (filter.status) conditions.push(`status = ${param(filter.status)}`);
    if (filter.before !== undefined) conditions.push(`transaction_id < ${param(filter.before)}`);
    const offset = filter.page && filter.page > 1 ? (filter.page - 1) * filter.limit : 0;
    const where = (owner: string) => [owner, ...conditions].join(' AND ');
    // A user's side of a transfer is either column: two index scans, merged newest first.
    const sql =
      filter.user_id !== undefined
        ? (() => {
            const user = param(filter.user_id);
            const window = param(filter.limit + offset); // only this query uses it: an unused $n fails to prepare
            return `SELECT * FROM (
                (SELECT ${TRANSACTION_COLUMNS} FROM coffer_read.transactions WHERE ${where(`user_id = ${user}`)}
                  ORDER BY transaction_id DESC LIMIT ${window})
                UNION ALL
                (SELECT ${TRANSACTION_COLUMNS} FROM coffer_read.transactions WHERE ${where(`to_user_id = ${user}`)}
                  ORDER BY transaction_id DESC LIMIT ${window})
              ) t ORDER BY transaction_id DESC`;
          })()
        : `SELECT ${TRANSACTION_COLUMNS} FROM coffer_read.transactions WHERE ${where(`app_id = ${param(filter.app_id)}`)}
            ORDER BY transaction_id DESC`;
    const { rows } = await this.query(`${sql} LIMIT ${param(filter.limit)} OFFSET ${param(offset)}`, params);
    const data = rows.map(toTransactionReply);
    const last = data[data.length - 1];
    return { data, next_cursor: data.length === filter.limit && last ? String(last.transaction_id) : null };
  }

  async event(eventId: number, appId: string): Promise<FinanceEventDetails> {
    const { rows } = await this.query(
      `SELECT event_id, app_id, description, status, opened_at, last_ping_at, expires_at, closed_at, expired_at
         FROM coffer_read.finance_events WHERE event_id = $1 AND app_id = $2`,
      [eventId, appId],
    );
    if (!rows.length) throw new ApiError('NOT_FOUND', `event ${eventId} does not exist`);
    const transactions = await this.query(
      `SELECT ${TRANSACTION_COLUMNS} FROM coffer_read.transactions WHERE event_id = $1 ORDER BY transaction_id`,
      [eventId],
    );
    const row = rows[0];
    return {
      event_id: Number(row.event_id),
      app_id: row.app_id,
      description: row.description,
      status: row.status,
      opened_at: iso(row.opened_at) as string,
      last_ping_at: iso(row.last_ping_at),
      expires_at: iso(row.expires_at) as string,
      closed_at: iso(row.closed_at),
      expired_at: iso(row.expired_at),
      transactions: transactions.rows.map(toTransactionReply),
    };
  }

  /** Position the serving read models have reached (-1 before any event). */
  async position(): Promise<bigint> {
    const { rows } = await this.query('SELECT position FROM coffer_read.checkpoint');
    return rows.length ? BigInt(rows[0].position) : -1n;
  }

  /**
   * Read-your-writes: waits until the read models include the write at `position` (the
   * X-Coffer-Position of a command's response), or answers UNAVAILABLE after `timeoutMs`.
   */
  async waitFor(position: bigint, timeoutMs: number): Promise<void> {
    if (await this.checkpoint.reached(position, timeoutMs).catch(() => false)) return;
    throw new ApiError('UNAVAILABLE', 'the read models have not reached that position yet: retry, or ask for consistency=strong', {
      min_position: position.toString(),
    });
  }
}

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

function toTransactionReply(row: Record<string, any>): TransactionReply {
  const reply: TransactionReply = {
    transaction_id: Number(row.transaction_id),
    event_id: row.event_id === null ? null : Number(row.event_id),
    user_id: row.user_id,
    type: row.type,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    description: row.description,
    created_at: row.created_at.toISOString(),
  };
  if (row.to_user_id) reply.to_user_id = row.to_user_id;
  return reply;
}
