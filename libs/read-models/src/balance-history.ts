/**
 * Balance history (table `balance_history`): one row per change of a user's balance line (an
 * account and currency), in the order the ledger made them, each with the line as it stood after
 * it. Serves a balance at a point in time (GET /finance/balance/:user_id?at=) and a statement
 * (GET /finance/statement/:user_id): opening balance, every posted movement with its running
 * balance, closing balance. Only wallets (`user:` accounts) have a history: house accounts and
 * the treasury are never asked for one, and skipping them halves the table.
 *
 * A change is a transaction entering pending (TransactionPending), posting (at once, or when its
 * finance event closes: a settlement, transactions.ts) or being voided (a settlement). Its order
 * is the store's: the global position of the event that made it, then the transaction id (a v1
 * close settles several transactions at one position). The stored line is the running sum of the
 * changes, so an opening or closing balance is one index probe, whatever the account's size.
 *
 * Reads find rows by time (`at`) and walk them in (at, position) order, so that order must be
 * the store's. A row's `at` is when its change happened, but never before the wallet's previous
 * change: today's ledger decides at one monotonic time (max of its clock and the latest event's
 * time), so this changes nothing it wrote; a store whose times go back (v1's) gets the later of
 * the two. One index, (account, currency, at, position, transaction id), then serves the readers
 * and finds the line a live batch starts from (the newest row); a second index by position alone
 * doubled this model's share of a rebuild.
 *
 * A live batch loads the line each of its wallets stood at, adds the batch's changes in order and
 * inserts the rows; a rebuild keeps every line in memory across pages and COPYs each page's rows,
 * which no later event changes (the index comes after, with the other lookup keys). `verify`
 * also holds the history to the balances (checkBalanceHistory).
 */
import type { ClientBase } from 'pg';
import { DEFAULT_REALM, isUserAccount, USER_ACCOUNT_PREFIX, userAccount, wasPending, type BalanceReply, type LedgerEvent, type StatementMovement } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { BALANCES_TABLE, withZeroBalance } from './balances';
import { copyRows } from './copy';
import { READ_SCHEMA, rowKey, type FoldContext, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase, writeRealmRows } from './realms';
import { TRANSACTIONS_TABLE, type PendingTransaction } from './transactions';

export const BALANCE_HISTORY_TABLE = 'balance_history';

/** An account's newest row (under whatever time bound the query adds), by its index. */
const NEWEST_FIRST = 'ORDER BY at DESC, global_position DESC, transaction_id DESC LIMIT 1';

/** What happened to the line: money held or promised, money moved, a hold or promise dropped. */
export type BalanceChange = 'pending' | 'posted' | 'voided';

/** Without its index: a rebuild adds it after its COPYs (lookupKeyDdl). */
export function balanceHistoryDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${BALANCE_HISTORY_TABLE} (
       realm text NOT NULL,
       account text NOT NULL,
       currency text NOT NULL,
       global_position bigint NOT NULL,
       transaction_id bigint NOT NULL,
       change text NOT NULL,
       at timestamptz NOT NULL,
       amount numeric(40) NOT NULL,
       posted numeric(40) NOT NULL,
       pending_debit numeric(40) NOT NULL,
       pending_credit numeric(40) NOT NULL)`,
  ];
}

/**
 * An account's lines by time, which is the order they were made in (`at` never goes back): for
 * readers (a balance at a time, statements) and for a live batch (the newest line).
 */
export function balanceHistoryLookupKeyDdl(schema: string): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS balance_history_at ON ${schema}.${BALANCE_HISTORY_TABLE} (realm, account, currency, at, global_position, transaction_id)`,
  ];
}

/** A row as written (JSON or COPY text): amounts are decimal strings, `amount` signed from the account's side; its realm is the batch's. */
export interface BalanceHistoryRow {
  account: string;
  currency: string;
  global_position: string;
  transaction_id: number;
  change: BalanceChange;
  at: string;
  amount: string;
  posted: string;
  pending_debit: string;
  pending_credit: string;
}

const BALANCE_HISTORY_COLUMNS: Array<keyof BalanceHistoryRow> = [
  'account',
  'currency',
  'global_position',
  'transaction_id',
  'change',
  'at',
  'amount',
  'posted',
  'pending_debit',
  'pending_credit',
];

/** One change of one wallet's line, before it is added to the line: what each sum moves by. */
export interface LineChange {
  account: string;
  currency: string;
  position: bigint;
  transaction_id: number;
  change: BalanceChange;
  at: string;
  /** The amount as text, signed from the account's side: + money comes (or would have), − it leaves. */
  amount: string;
  posted: bigint;
  pending_debit: bigint;
  pending_credit: bigint;
}

/**
 * A line's sums, with their text kept until a sum moves (most changes move one or two of three),
 * and the time of its last change, which the next one may not go before.
 */
class Line {
  postedText: string;
  pendingDebitText: string;
  pendingCreditText: string;
  atMs: number;

  constructor(
    public posted: bigint,
    public pending_debit: bigint,
    public pending_credit: bigint,
    public at: string,
  ) {
    this.postedText = posted.toString();
    this.pendingDebitText = pending_debit.toString();
    this.pendingCreditText = pending_credit.toString();
    this.atMs = at === '' ? -Infinity : Date.parse(at);
  }
}

/** Wallets' lines by currency, then account, as the changes so far leave them (no key string per change: millions in a rebuild). */
export class BalanceLines {
  private readonly byCurrency = new Map<string, Map<string, Line>>();

  private of(currency: string): Map<string, Line> {
    let byAccount = this.byCurrency.get(currency);
    if (!byAccount) this.byCurrency.set(currency, (byAccount = new Map()));
    return byAccount;
  }

  set(account: string, currency: string, posted: bigint, pending_debit: bigint, pending_credit: bigint, at: string): void {
    this.of(currency).set(account, new Line(posted, pending_debit, pending_credit, at));
  }

  /** Adds `change` to its line and answers the row that records it. */
  apply(change: LineChange): BalanceHistoryRow {
    const byAccount = this.of(change.currency);
    let line = byAccount.get(change.account);
    if (!line) byAccount.set(change.account, (line = new Line(0n, 0n, 0n, '')));
    const atMs = Date.parse(change.at);
    if (atMs >= line.atMs) {
      line.at = change.at;
      line.atMs = atMs;
    } // else: a store whose time went back; the row keeps the line's time (see the header)
    if (change.posted !== 0n) line.postedText = (line.posted += change.posted).toString();
    if (change.pending_debit !== 0n) line.pendingDebitText = (line.pending_debit += change.pending_debit).toString();
    if (change.pending_credit !== 0n) line.pendingCreditText = (line.pending_credit += change.pending_credit).toString();
    return {
      account: change.account,
      currency: change.currency,
      global_position: change.position.toString(),
      transaction_id: change.transaction_id,
      change: change.change,
      at: line.at,
      amount: change.amount,
      posted: line.postedText,
      pending_debit: line.pendingDebitText,
      pending_credit: line.pendingCreditText,
    };
  }
}

/** What a change needs of a transaction, posted (TransactionData) or settled (PendingTransaction). */
type Side = Pick<PendingTransaction, 'transaction_id' | 'debit_account' | 'credit_account' | 'amount' | 'currency'>;

/**
 * The wallet sides of one transaction's change: the debit side gives the amount, the credit side
 * receives it. A change that posts moves the posted sums; one that enters pending raises the
 * pending sums, one that leaves it (`fromPending`: posted at close, or voided) lowers them.
 */
function addSides(changes: LineChange[], tx: Side, change: BalanceChange, fromPending: boolean, at: string, position: bigint): void {
  const amount = BigInt(tx.amount);
  const posted = change === 'posted' ? amount : 0n;
  const held = change === 'pending' ? amount : fromPending ? -amount : 0n;
  if (isUserAccount(tx.debit_account)) {
    changes.push({
      account: tx.debit_account,
      currency: tx.currency,
      position,
      transaction_id: tx.transaction_id,
      change,
      at,
      amount: `-${tx.amount}`,
      posted: -posted,
      pending_debit: held,
      pending_credit: 0n,
    });
  }
  if (isUserAccount(tx.credit_account)) {
    changes.push({
      account: tx.credit_account,
      currency: tx.currency,
      position,
      transaction_id: tx.transaction_id,
      change,
      at,
      amount: tx.amount,
      posted,
      pending_debit: 0n,
      pending_credit: held,
    });
  }
}

/** The wallets' changes of `events` and their settlements, in the store's order. */
export function foldLineChanges(events: readonly ReplayedEvent[], { settlements }: FoldContext): LineChange[] {
  const changes: LineChange[] = [];
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'TransactionPending') {
      addSides(changes, event.data, 'pending', false, event.data.created_at, recorded.globalPosition);
    } else if (event.type === 'TransactionPosted' && !wasPending(event.data)) {
      addSides(changes, event.data, 'posted', false, event.data.posted_at, recorded.globalPosition);
    }
  }
  if (settlements.length === 0) return changes;
  for (const { row, status, at, position } of settlements) addSides(changes, row, status, true, at, position);
  // Settlements come after the batch's own events here; the store's order puts each at its event.
  return changes.sort((a, b) => (a.position === b.position ? a.transaction_id - b.transaction_id : a.position < b.position ? -1 : 1));
}

/** A live batch: each wallet's newest line (one index probe each), the batch's changes on top, inserted. */
export async function writeBalanceHistory(client: ClientBase, schema: string, changes: LineChange[], realm: string): Promise<void> {
  if (changes.length === 0) return;
  const table = `${schema}.${BALANCE_HISTORY_TABLE}`;
  const keys = new Map(changes.map((change) => [rowKey(change.account, change.currency), { account: change.account, currency: change.currency }]));
  const { rows } = await client.query(
    `SELECT k.account, k.currency, h.posted::text, h.pending_debit::text, h.pending_credit::text, h.at
       FROM jsonb_to_recordset($1) AS k(account text, currency text)
       CROSS JOIN LATERAL (
         SELECT posted, pending_debit, pending_credit, at FROM ${table}
          WHERE realm = $2 AND account = k.account AND currency = k.currency ${NEWEST_FIRST}) h`,
    [JSON.stringify([...keys.values()]), realm],
  );
  const lines = new BalanceLines();
  for (const row of rows) {
    lines.set(row.account, row.currency, BigInt(row.posted), BigInt(row.pending_debit), BigInt(row.pending_credit), row.at.toISOString());
  }
  await writeRealmRows(
    client,
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`,
    changes.map((change) => lines.apply(change)),
    realm,
  );
}

/** A rebuild: every line of the realm in memory across pages; each page's rows are final, COPYed as they are made. */
function replayBalanceHistory(realm: string): Replaying {
  const lines = new BalanceLines();
  return {
    fold(events, context) {
      const rows = foldLineChanges(events, context).map((change) => lines.apply(change));
      return (client, schema) => copyRows(client, `${schema}.${BALANCE_HISTORY_TABLE}`, BALANCE_HISTORY_COLUMNS, rows, realm);
    },
    finish: async () => undefined,
  };
}

/**
 * The history ends where the balances are: each wallet's newest line equals its `accounts` row
 * (a wallet with no history holds nothing). Two read models folded apart, held to each other.
 */
export async function checkBalanceHistory(client: ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT a.realm, a.account, a.currency, a.posted::text, a.pending_debit::text, a.pending_credit::text,
            h.posted::text AS history_posted, h.pending_debit::text AS history_pending_debit, h.pending_credit::text AS history_pending_credit
       FROM ${schema}.${BALANCES_TABLE} a
       LEFT JOIN LATERAL (
         SELECT posted, pending_debit, pending_credit FROM ${schema}.${BALANCE_HISTORY_TABLE}
          WHERE realm = a.realm AND account = a.account AND currency = a.currency
          ORDER BY at DESC, global_position DESC, transaction_id DESC LIMIT 1) h ON true
      WHERE a.account LIKE '${USER_ACCOUNT_PREFIX}%'
        AND (coalesce(h.posted, 0), coalesce(h.pending_debit, 0), coalesce(h.pending_credit, 0))
            IS DISTINCT FROM (a.posted, a.pending_debit, a.pending_credit)
      ORDER BY a.realm, a.account, a.currency LIMIT 10`,
  );
  return rows.map(
    (row) =>
      `${row.realm === DEFAULT_REALM ? '' : `realm ${row.realm}: `}${row.account} ${row.currency}: balance history ends at posted ${row.history_posted ?? 0}, pending ${row.history_pending_debit ?? 0}/` +
      `${row.history_pending_credit ?? 0}, the balance is ${row.posted}, ${row.pending_debit}/${row.pending_credit}`,
  );
}

export const balanceHistory: ReadModel = {
  tables: { [BALANCE_HISTORY_TABLE]: ['realm', 'account', 'currency', 'global_position', 'transaction_id'] },
  ddl: balanceHistoryDdl,
  lookupKeyDdl: balanceHistoryLookupKeyDdl,
  readerIndexDdl: () => [],
  fold(events, context) {
    const changes = foldLineChanges(events, context);
    return (client, schema) => writeBalanceHistory(client, schema, changes, context.realm);
  },
  replay: replayBalanceHistory,
  check: checkBalanceHistory,
};

// ---- queries (the gateway's; eventually consistent: a change shows once the projector has reached it)

const HISTORY = `${READ_SCHEMA}.${BALANCE_HISTORY_TABLE}`;

/**
 * A user's balances as they stood at `at` (every change at or before it counted), one line per
 * currency the user held by then; a line of zeros in the default currency when none.
 */
export async function balanceAt(db: Queryable, realm: string, userId: string, at: Date): Promise<BalanceReply> {
  const { rows } = await db.query(
    `SELECT a.currency, (h.posted - h.pending_debit)::text AS available, h.posted::text, h.pending_debit::text, h.pending_credit::text
       FROM ${READ_SCHEMA}.${BALANCES_TABLE} a
       CROSS JOIN LATERAL (
         SELECT posted, pending_debit, pending_credit FROM ${HISTORY}
          WHERE realm = a.realm AND account = a.account AND currency = a.currency AND at <= $2 ${NEWEST_FIRST}) h
      WHERE a.realm = $3 AND a.account = $1 ORDER BY a.currency`,
    [userAccount(userId), at, realm],
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

export interface StatementPeriod {
  /** The realm whose user it is. */
  realm: string;
  user_id: string;
  currency: string;
  /** Movements at or after it; the opening balance is the posted balance just before it. None: from the first. */
  from?: Date;
  /** Movements before it; the closing balance is the posted balance just before it. None: up to now. */
  to?: Date;
}

export interface StatementRows {
  opening_balance: string;
  closing_balance: string;
  /** At most `maximum`, in posted order. */
  movements: StatementMovement[];
  /** Set when the period holds more than `maximum` movements: the time of the first one left out. */
  split_at: string | null;
}

/**
 * A statement of one wallet in one currency: the posted balance before the period, each posted
 * movement in it with the posted balance after it, and the posted balance at its end. One
 * statement, so one snapshot: the opening balance plus the movements is always the closing one.
 */
export async function statement(db: Queryable, period: StatementPeriod, maximum: number): Promise<StatementRows> {
  const bound = (at: Date | undefined, none: string) => (at === undefined ? none : at.toISOString());
  const { rows } = await db.query(
    `WITH line AS (
       SELECT (SELECT posted FROM ${HISTORY} WHERE realm = $6 AND account = $1 AND currency = $2 AND at < $3::timestamptz ${NEWEST_FIRST}) AS opening,
              (SELECT posted FROM ${HISTORY} WHERE realm = $6 AND account = $1 AND currency = $2 AND at < $4::timestamptz ${NEWEST_FIRST}) AS closing)
     SELECT coalesce(line.opening, 0)::text AS opening_balance, coalesce(line.closing, 0)::text AS closing_balance, m.*
       FROM line LEFT JOIN LATERAL (
         SELECT h.transaction_id, t.event_id, t.type, t.description, t.reverses_transaction_id, h.amount::text AS amount, h.posted::text AS balance,
                h.at AS posted_at, h.global_position
           FROM ${HISTORY} h JOIN ${READ_SCHEMA}.${TRANSACTIONS_TABLE} t ON t.realm = h.realm AND t.transaction_id = h.transaction_id
          WHERE h.realm = $6 AND h.account = $1 AND h.currency = $2 AND h.change = 'posted' AND h.at >= $3::timestamptz AND h.at < $4::timestamptz
          ORDER BY h.at, h.global_position, h.transaction_id LIMIT $5) m ON true
      ORDER BY m.posted_at, m.global_position, m.transaction_id`,
    [userAccount(period.user_id), period.currency, bound(period.from, '-infinity'), bound(period.to, 'infinity'), maximum + 1, period.realm],
  );
  const found = rows.filter((row) => row.transaction_id !== null);
  const shown = found.slice(0, maximum);
  return {
    opening_balance: rows[0].opening_balance,
    closing_balance: rows[0].closing_balance,
    movements: shown.map((row) => ({
      transaction_id: Number(row.transaction_id),
      event_id: row.event_id === null ? null : Number(row.event_id),
      type: row.type,
      description: row.description,
      reverses_transaction_id: row.reverses_transaction_id === null ? null : Number(row.reverses_transaction_id),
      amount: row.amount,
      balance: row.balance,
      posted_at: row.posted_at.toISOString(),
    })),
    split_at: found.length > maximum ? found[maximum].posted_at.toISOString() : null,
  };
}
