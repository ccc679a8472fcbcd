import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { type BalanceReply, type FinanceEventDetails, type TransactionReply } from '@coffer/contracts';
import { CONFIG, type CofferConfig } from '@coffer/platform';
import { balance, financeEventDetails, listTransactions, type Queryable, type TransactionFilter } from '@coffer/read-models';
import { ApiError } from '../http/api-error';
import { CheckpointWatcher } from './checkpoint-watcher';
import { DB_POOL } from '../tokens';

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
  private readonly db: Queryable = { query: (sql, params) => this.query(sql, params) };

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

  /** With a line of zeros in the default currency for a user who has held nothing. */
  balance(userId: string): Promise<BalanceReply> {
    return balance(this.db, userId);
  }

  transactions(filter: TransactionFilter): Promise<{ data: TransactionReply[]; next_cursor: string | null }> {
    return listTransactions(this.db, filter);
  }

  async event(eventId: number, appId: string): Promise<FinanceEventDetails> {
    const details = await financeEventDetails(this.db, eventId, appId);
    if (!details) throw new ApiError('NOT_FOUND', `event ${eventId} does not exist`);
    return details;
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
