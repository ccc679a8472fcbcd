/**
 * Balances (table `accounts`): one row per account and currency, its posted sum and what is
 * pending against it (debits held, credits to come). Serves GET /finance/balance/:user_id;
 * `verify` checks the books balance on it.
 *
 * Folded into one delta per account and currency from TransactionPending, TransactionPosted
 * outside a finance event and the batch's settlements (transactions.ts), written with one upsert
 * whatever the batch size; a rebuild sums the whole store in memory and writes once at the end.
 */
import type { ClientBase } from 'pg';
import { DEFAULT_CURRENCY, DEFAULT_REALM, USER_ACCOUNT_PREFIX, userAccount, wasPending, type BalanceRank, type BalanceReply, type LedgerEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { READ_SCHEMA, type FoldContext, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase } from './realms';

export const BALANCES_TABLE = 'accounts';

export function balancesDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${BALANCES_TABLE} (
       realm text NOT NULL,
       account text NOT NULL,
       currency text NOT NULL,
       posted numeric(40) NOT NULL DEFAULT 0,
       pending_debit numeric(40) NOT NULL DEFAULT 0,
       pending_credit numeric(40) NOT NULL DEFAULT 0,
       PRIMARY KEY (realm, account, currency))`,
  ];
}

/** The change of one account's row in a batch (sums are bigints in memory, strings in JSON). */
export interface BalanceDelta {
  account: string;
  currency: string;
  posted: bigint;
  pending_debit: bigint;
  pending_credit: bigint;
}

/** By currency, then account: no key string built per lookup (millions in a rebuild). */
export class BalanceDeltas {
  readonly byCurrency = new Map<string, Map<string, BalanceDelta>>();

  of(account: string, currency: string): BalanceDelta {
    let byAccount = this.byCurrency.get(currency);
    if (!byAccount) this.byCurrency.set(currency, (byAccount = new Map()));
    let delta = byAccount.get(account);
    if (!delta) byAccount.set(account, (delta = { account, currency, posted: 0n, pending_debit: 0n, pending_credit: 0n }));
    return delta;
  }

  rows(): BalanceDelta[] {
    return [...this.byCurrency.values()].flatMap((byAccount) => [...byAccount.values()]);
  }
}

/** The balance leaderboard: wallets only, by currency and posted balance, in ranking order. */
export function balancesReaderIndexDdl(schema: string): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS accounts_wallet_rank ON ${schema}.${BALANCES_TABLE} (realm, currency, posted DESC, account)
       WHERE account LIKE '${USER_ACCOUNT_PREFIX}%'`,
  ];
}

/** Folds `events` and their settlements into `deltas` (a new one per live batch; one kept across a rebuild). */
export function foldBalances(events: readonly ReplayedEvent[], { settlements }: FoldContext, deltas = new BalanceDeltas()): BalanceDeltas {
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'TransactionPending') {
      const { debit_account, credit_account, currency } = event.data;
      const amount = BigInt(event.data.amount);
      deltas.of(debit_account, currency).pending_debit += amount;
      deltas.of(credit_account, currency).pending_credit += amount;
    } else if (event.type === 'TransactionPosted' && !wasPending(event.data)) {
      const { debit_account, credit_account, currency } = event.data;
      const amount = BigInt(event.data.amount);
      deltas.of(debit_account, currency).posted -= amount;
      deltas.of(credit_account, currency).posted += amount;
    }
  }
  // Leaving pending, the amount leaves the pending sums and, posted, moves.
  for (const { row, status } of settlements) {
    const amount = BigInt(row.amount);
    const debit = deltas.of(row.debit_account, row.currency);
    const credit = deltas.of(row.credit_account, row.currency);
    debit.pending_debit -= amount;
    credit.pending_credit -= amount;
    if (status === 'posted') {
      debit.posted -= amount;
      credit.posted += amount;
    }
  }
  return deltas;
}

/** Sums are bigints in memory; JSON carries them as strings, which numeric columns take exactly. */
export const jsonWithBigints = (rows: unknown[]) => JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));

export async function writeBalances(client: ClientBase, schema: string, deltas: BalanceDeltas, realm: string): Promise<void> {
  const rows = deltas.rows();
  if (rows.length === 0) return;
  const table = `${schema}.${BALANCES_TABLE}`;
  await client.query(
    `INSERT INTO ${table} AS a SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)
       ON CONFLICT (realm, account, currency) DO UPDATE SET
         posted = a.posted + excluded.posted,
         pending_debit = a.pending_debit + excluded.pending_debit,
         pending_credit = a.pending_credit + excluded.pending_credit`,
    [jsonWithBigints(rows), realm],
  );
}

/** A rebuild: one delta for the realm's whole store, written once by `finish`. */
function replayBalances(realm: string): Replaying {
  const deltas = new BalanceDeltas();
  return {
    fold(events, context) {
      foldBalances(events, context, deltas);
      return async () => undefined;
    },
    finish: (client, schema) => writeBalances(client, schema, deltas, realm),
  };
}

/** How a problem of `realm` begins: the default realm's read as they did before realms. */
const inRealm = (realm: string) => (realm === DEFAULT_REALM ? '' : `realm ${realm}: `);

/**
 * The books balance, in each realm (money never crosses realms): in each currency posted
 * balances sum to zero and pending debits equal pending credits, and no user's available balance
 * (posted − pending debits) is negative.
 */
export async function checkBalances(client: ClientBase, schema: string): Promise<string[]> {
  const table = `${schema}.${BALANCES_TABLE}`;
  const { rows } = await client.query(
    `SELECT realm, currency, sum(posted)::text AS posted, sum(pending_debit)::text AS pending_debit,
            sum(pending_credit)::text AS pending_credit
       FROM ${table} GROUP BY realm, currency ORDER BY realm, currency`,
  );
  const problems: string[] = [];
  for (const row of rows) {
    const where = inRealm(row.realm);
    if (row.posted !== '0') problems.push(`${where}currency ${row.currency}: posted balances sum to ${row.posted}, not 0`);
    if (row.pending_debit !== row.pending_credit) {
      problems.push(`${where}currency ${row.currency}: pending debits ${row.pending_debit} ≠ pending credits ${row.pending_credit}`);
    }
  }
  const negative = await client.query(
    `SELECT realm, account, currency, (posted - pending_debit)::text AS available
       FROM ${table} WHERE account LIKE $1 AND posted - pending_debit < 0 LIMIT 10`,
    [`${USER_ACCOUNT_PREFIX}%`],
  );
  for (const row of negative.rows) problems.push(`${inRealm(row.realm)}${row.account} ${row.currency}: available ${row.available} < 0`);
  return problems;
}

export const balances: ReadModel = {
  tables: { [BALANCES_TABLE]: ['realm', 'account', 'currency'] },
  ddl: balancesDdl,
  readerIndexDdl: balancesReaderIndexDdl,
  fold(events, context) {
    const deltas = foldBalances(events, context);
    return (client, schema) => writeBalances(client, schema, deltas, context.realm);
  },
  replay: replayBalances,
  check: checkBalances,
};

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

/**
 * API.md: "an unknown user has zero balances". The read model and the ledger hold lines only for
 * what a user has held; a user who has held nothing gets a line of zeros in the default
 * currency, so a client always finds a balance to show.
 */
export function withZeroBalance(balance: BalanceReply): BalanceReply {
  if (balance.balances.length > 0) return balance;
  const zero = { currency: DEFAULT_CURRENCY, available: '0', posted: '0', pending_debit: '0', pending_credit: '0' };
  return { ...balance, balances: [zero] };
}

/** A user's balances in `realm`, one line per currency (a line of zeros in the default currency when none). */
export async function balance(db: Queryable, realm: string, userId: string): Promise<BalanceReply> {
  const { rows } = await db.query(
    `SELECT currency, (posted - pending_debit)::text AS available, posted::text, pending_debit::text, pending_credit::text
       FROM ${READ_SCHEMA}.${BALANCES_TABLE} WHERE realm = $1 AND account = $2 ORDER BY currency`,
    [realm, userAccount(userId)],
  );
  return withZeroBalance({
    user_id: userId,
    balances: rows.map((row) => ({
      currency: row.currency,
      available: row.available,
      posted: row.posted,
      pending_debit: row.pending_debit,
      pending_credit: row.pending_credit,
    })),
  });
}

/**
 * The `limit` wallets of `realm` holding most of `currency` (posted balance), ranked 1, 1, 3 (ties share a
 * rank), ties by account; wallets holding none are left out, house accounts and the treasury
 * never appear. The top is taken first, straight off the index, and ranked alone: everyone
 * strictly ahead of a wallet in it is in it too, so its rank there is its rank among all (a
 * window over the whole table would read every wallet). The prefix is written into the SQL, not
 * passed: the planner matches the partial index (balancesReaderIndexDdl) only on the same literal.
 */
export async function balanceLeaderboard(db: Queryable, realm: string, currency: string, limit: number): Promise<BalanceRank[]> {
  const { rows } = await db.query(
    `SELECT rank() OVER (ORDER BY posted DESC) AS rank, account, posted::text AS value
       FROM (SELECT account, posted FROM ${READ_SCHEMA}.${BALANCES_TABLE}
              WHERE realm = $3 AND currency = $1 AND account LIKE '${USER_ACCOUNT_PREFIX}%' AND posted > 0
              ORDER BY posted DESC, account LIMIT $2) top
      ORDER BY posted DESC, account`,
    [currency, limit, realm],
  );
  return rows.map((row) => ({ rank: Number(row.rank), user_id: row.account.slice(USER_ACCOUNT_PREFIX.length), value: row.value }));
}
