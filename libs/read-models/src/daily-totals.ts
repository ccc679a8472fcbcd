/**
 * Daily totals: posted money by day (UTC), app and currency: minted to users (credits, grants
 * and accepted deposits), absorbed from them (debits and accepted withdrawals), moved between them
 * (transfers); a reversal counts where its money goes (reversalTotal). A transaction counts on
 * the day it posts: at once, or when its finance event closes (a settlement, transactions.ts).
 *
 * Summed in memory per batch and written with one upsert; a rebuild sums the whole store and
 * writes once at the end.
 */
import type { ClientBase } from 'pg';
import { isUserAccount, wasPending, type LedgerEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { jsonWithBigints } from './balances';
import type { FoldContext, ReadModel, Replaying } from './read-model';
import { realmBase } from './realms';
import type { PendingTransaction } from './transactions';

export const DAILY_TOTALS_TABLE = 'daily_totals';

export function dailyTotalsDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${DAILY_TOTALS_TABLE} (
       realm text NOT NULL,
       day date NOT NULL,
       app_id text NOT NULL,
       currency text NOT NULL,
       minted numeric(40) NOT NULL DEFAULT 0,
       absorbed numeric(40) NOT NULL DEFAULT 0,
       transferred numeric(40) NOT NULL DEFAULT 0,
       PRIMARY KEY (realm, day, app_id, currency))`,
  ];
}

/** The change of one day's row (sums are bigints in memory, strings in JSON). */
export interface DailyTotalsDelta {
  day: string;
  /** '' for a transaction of no app (a transfer between users). */
  app_id: string;
  currency: string;
  minted: bigint;
  absorbed: bigint;
  transferred: bigint;
}

type Posted = Pick<PendingTransaction, 'type' | 'app_id' | 'currency' | 'amount' | 'debit_account' | 'credit_account'>;

/**
 * Which total a reversal counts in, by where its money goes: from a wallet to a wallet (a
 * transfer's) transferred, from a wallet to a house or the treasury (a credit's or a grant's)
 * absorbed, from a house to a wallet (a debit's) minted.
 */
function reversalTotal(tx: Posted): 'minted' | 'absorbed' | 'transferred' {
  if (!isUserAccount(tx.debit_account)) return 'minted';
  return isUserAccount(tx.credit_account) ? 'transferred' : 'absorbed';
}

/** Folds `events` and their settlements into `totals` (a new map per live batch; one kept across a rebuild). */
export function foldDailyTotals(
  events: readonly ReplayedEvent[],
  { settlements }: FoldContext,
  totals = new Map<string, DailyTotalsDelta>(),
): Map<string, DailyTotalsDelta> {
  const count = (tx: Posted, at: string) => {
    const day = at.slice(0, 10);
    const app = tx.app_id ?? '';
    const key = `${day}|${app}|${tx.currency}`;
    let delta = totals.get(key);
    if (!delta) totals.set(key, (delta = { day, app_id: app, currency: tx.currency, minted: 0n, absorbed: 0n, transferred: 0n }));
    const amount = BigInt(tx.amount);
    if (tx.type === 'debit' || tx.type === 'withdrawal') delta.absorbed += amount;
    else if (tx.type === 'transfer') delta.transferred += amount;
    else if (tx.type === 'reversal') delta[reversalTotal(tx)] += amount;
    else delta.minted += amount;
  };
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'TransactionPosted' && !wasPending(event.data)) count(event.data, event.data.posted_at);
  }
  for (const { row, status, at } of settlements) if (status === 'posted') count(row, at);
  return totals;
}

export async function writeDailyTotals(client: ClientBase, schema: string, totals: Map<string, DailyTotalsDelta>, realm: string): Promise<void> {
  if (totals.size === 0) return;
  const table = `${schema}.${DAILY_TOTALS_TABLE}`;
  await client.query(
    `INSERT INTO ${table} AS d SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)
       ON CONFLICT (realm, day, app_id, currency) DO UPDATE SET
         minted = d.minted + excluded.minted,
         absorbed = d.absorbed + excluded.absorbed,
         transferred = d.transferred + excluded.transferred`,
    [jsonWithBigints([...totals.values()]), realm],
  );
}

/** A rebuild: one sum for the realm's whole store, written once by `finish`. */
function replayDailyTotals(realm: string): Replaying {
  const totals = new Map<string, DailyTotalsDelta>();
  return {
    fold(events, context) {
      foldDailyTotals(events, context, totals);
      return async () => undefined;
    },
    finish: (client, schema) => writeDailyTotals(client, schema, totals, realm),
  };
}

export const dailyTotals: ReadModel = {
  tables: { [DAILY_TOTALS_TABLE]: ['realm', 'day', 'app_id', 'currency'] },
  ddl: dailyTotalsDdl,
  readerIndexDdl: () => [],
  fold(events, context) {
    const totals = foldDailyTotals(events, context);
    return (client, schema) => writeDailyTotals(client, schema, totals, context.realm);
  },
  replay: replayDailyTotals,
};
