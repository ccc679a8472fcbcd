/**
 * The operators' overview (GET /admin/stats/supply, GET /admin/finance-events): figures across
 * every app, read from the tables the other read models keep. No table of its own.
 */
import { USER_ACCOUNT_PREFIX } from '@coffer/contracts';
import { BALANCES_TABLE } from './balances';
import { FINANCE_EVENTS_TABLE } from './finance-events';
import { READ_SCHEMA, type Queryable } from './read-model';

export interface CurrencySupply {
  currency: string;
  /** What the users' wallets hold, posted (exact decimal string). */
  supply: string;
  /** Held by pending debits (open events, withdrawals waiting for verification). */
  pending_debit: string;
  /** To come by pending credits (open events, deposits waiting for verification). */
  pending_credit: string;
  /** Wallets holding or expecting any of it. */
  wallets: number;
}

/** Money supply per currency in `realm`: the wallets only (house accounts, the treasury and `external` are the other side). */
export async function moneySupply(db: Queryable, realm: string): Promise<CurrencySupply[]> {
  const { rows } = await db.query(
    `SELECT currency, sum(posted)::text AS supply, sum(pending_debit)::text AS pending_debit,
            sum(pending_credit)::text AS pending_credit, count(*)::int AS wallets
       FROM ${READ_SCHEMA}.${BALANCES_TABLE}
      WHERE realm = $1 AND account LIKE '${USER_ACCOUNT_PREFIX}%' AND (posted <> 0 OR pending_debit <> 0 OR pending_credit <> 0)
      GROUP BY currency ORDER BY currency`,
    [realm],
  );
  return rows as CurrencySupply[];
}

export interface OpenFinanceEvent {
  event_id: number;
  app_id: string;
  description: string | null;
  opened_at: string;
  last_ping_at: string | null;
  expires_at: string;
}

/** Open finance events of every app of `realm`, oldest first, a page at a time (`after`: the last event_id seen). */
export async function openFinanceEvents(db: Queryable, realm: string, limit: number, after?: number): Promise<{ data: OpenFinanceEvent[]; next_cursor: string | null }> {
  const { rows } = await db.query(
    `SELECT event_id::int AS event_id, app_id, description, opened_at, last_ping_at, expires_at
       FROM ${READ_SCHEMA}.${FINANCE_EVENTS_TABLE}
      WHERE realm = $3 AND status = 'open' AND event_id > $1 ORDER BY event_id LIMIT $2`,
    [after ?? 0, limit, realm],
  );
  const data = rows.map((row) => ({
    event_id: row.event_id,
    app_id: row.app_id,
    description: row.description,
    opened_at: row.opened_at.toISOString(),
    last_ping_at: row.last_ping_at?.toISOString() ?? null,
    expires_at: row.expires_at.toISOString(),
  }));
  const last = data[data.length - 1];
  return { data, next_cursor: data.length === limit && last ? String(last.event_id) : null };
}
