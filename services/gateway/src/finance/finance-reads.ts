import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { BalanceRank, BalanceReply, FinanceEventDetails, TransactionReply } from '@coffer/contracts';
import {
  balance,
  balanceAt,
  balanceLeaderboard,
  financeEventDetails,
  listTransactions,
  statement,
  type Queryable,
  type StatementPeriod,
  type StatementRows,
  type TransactionFilter,
} from '@coffer/read-models';
import { ApiError } from '../http/api-error';
import { readModelDb } from '../reads/read-model-db';
import { DB_POOL } from '../tokens';

/**
 * The gateway's door to the ledger's read models (@coffer/read-models: balances.ts,
 * transactions.ts and finance-events.ts hold the queries, kept by the projector). Eventually
 * consistent: ReadConsistency decides when to wait for them or ask the ledger instead. A user id
 * names an account in one realm: each read is of the realm it names (the calling app's).
 */
@Injectable()
export class FinanceReads {
  private readonly db: Queryable;

  constructor(@Inject(DB_POOL) pool: Pool) {
    this.db = readModelDb(pool);
  }

  /** With a line of zeros in the default currency for a user who has held nothing. */
  balance(realm: string, userId: string): Promise<BalanceReply> {
    return balance(this.db, realm, userId);
  }

  /** As the balances stood at `at`, from the balance history (the ledger keeps only the present). */
  balanceAt(realm: string, userId: string, at: Date): Promise<BalanceReply> {
    return balanceAt(this.db, realm, userId, at);
  }

  /** At most `maximum` movements; `split_at` says where a longer period would have to be cut. */
  statement(period: StatementPeriod, maximum: number): Promise<StatementRows> {
    return statement(this.db, period, maximum);
  }

  balanceLeaderboard(realm: string, currency: string, limit: number): Promise<BalanceRank[]> {
    return balanceLeaderboard(this.db, realm, currency, limit);
  }

  transactions(filter: TransactionFilter): Promise<{ data: TransactionReply[]; next_cursor: string | null }> {
    return listTransactions(this.db, filter);
  }

  /** Another app's event is NOT_FOUND like a missing one: ids reveal nothing. */
  async event(eventId: number, appId: string): Promise<FinanceEventDetails> {
    const details = await financeEventDetails(this.db, eventId, appId);
    if (!details) throw new ApiError('NOT_FOUND', `event ${eventId} does not exist`);
    return details;
  }
}
