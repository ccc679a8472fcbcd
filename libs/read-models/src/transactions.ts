/**
 * Transactions: one row per transaction, pending until its finance event closes (posted) or
 * expires (voided), posted at once outside a finance event. Serves GET /finance/transactions and
 * a finance event's details (finance-events.ts).
 */
import type { TransactionReply } from '@coffer/contracts';
import { READ_SCHEMA, type Queryable } from './read-model';

export const TRANSACTIONS_TABLE = 'transactions';

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

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

const REPLY_COLUMNS = `transaction_id, event_id, app_id, type, user_id, to_user_id, amount::text AS amount,
  currency, status, description, created_at`;

/** Newest first: a user's side of transactions and transfers, or (without user_id) the app's own. */
export async function listTransactions(db: Queryable, filter: TransactionFilter): Promise<{ data: TransactionReply[]; next_cursor: string | null }> {
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
  const table = `${READ_SCHEMA}.${TRANSACTIONS_TABLE}`;
  // A user's side of a transfer is either column: two index scans, merged newest first.
  const sql =
    filter.user_id !== undefined
      ? (() => {
          const user = param(filter.user_id);
          const window = param(filter.limit + offset); // only this query uses it: an unused $n fails to prepare
          return `SELECT * FROM (
              (SELECT ${REPLY_COLUMNS} FROM ${table} WHERE ${where(`user_id = ${user}`)}
                ORDER BY transaction_id DESC LIMIT ${window})
              UNION ALL
              (SELECT ${REPLY_COLUMNS} FROM ${table} WHERE ${where(`to_user_id = ${user}`)}
                ORDER BY transaction_id DESC LIMIT ${window})
            ) t ORDER BY transaction_id DESC`;
        })()
      : `SELECT ${REPLY_COLUMNS} FROM ${table} WHERE ${where(`app_id = ${param(filter.app_id)}`)}
          ORDER BY transaction_id DESC`;
  const { rows } = await db.query(`${sql} LIMIT ${param(filter.limit)} OFFSET ${param(offset)}`, params);
  const data = rows.map(toTransactionReply);
  const last = data[data.length - 1];
  return { data, next_cursor: data.length === filter.limit && last ? String(last.transaction_id) : null };
}

/** A finance event's transactions, oldest first. */
export async function transactionsOfEvent(db: Queryable, eventId: number): Promise<TransactionReply[]> {
  const { rows } = await db.query(
    `SELECT ${REPLY_COLUMNS} FROM ${READ_SCHEMA}.${TRANSACTIONS_TABLE} WHERE event_id = $1 ORDER BY transaction_id`,
    [eventId],
  );
  return rows.map(toTransactionReply);
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
