/**
 * Transactions: one row per transaction, pending until its finance event closes (posted) or
 * expires or is aborted (voided), or an operator accepts (posted) or declines (voided) its
 * withdrawal or deposit; posted at once otherwise (reversals too, with the id of the transaction
 * they move back). Serves GET /finance/transactions and
 * a finance event's details (finance-events.ts).
 *
 * Which transactions leave pending in a batch is computed once, here (loadPending, settle), and
 * given to every fold as its context: balances and daily totals move the same money this table
 * marks posted or voided. A live batch inserts its new transactions in their state at the batch's
 * end and updates the earlier ones it settled; a rebuild keeps pending transactions in memory
 * across pages and COPYs each transaction once, in its final state.
 */
import type { ClientBase } from 'pg';
import { toUserId, wasPending, type LedgerEvent, type TransactionData, type TransactionReply } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { copyRows } from './copy';
import { READ_SCHEMA, takeFinal, writeRows, type FoldContext, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const TRANSACTIONS_TABLE = 'transactions';

/** Without its keys: a rebuild adds them after its bulk inserts (lookupKeyDdl). */
export function transactionsDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${TRANSACTIONS_TABLE} (
       realm text NOT NULL,
       transaction_id bigint NOT NULL,
       event_id bigint,
       app_id text,
       type text NOT NULL,
       user_id text NOT NULL,
       to_user_id text,
       debit_account text NOT NULL,
       credit_account text NOT NULL,
       amount numeric(40) NOT NULL,
       currency text NOT NULL,
       status text NOT NULL,
       description text,
       reverses_transaction_id bigint,
       created_at timestamptz NOT NULL,
       settled_at timestamptz,
       global_position bigint NOT NULL)`,
  ];
}

/**
 * What settling looks transactions up by (by id, and by finance event for a v1 close or expiry),
 * and room on each page so that settlements, which change no indexed column, stay on the row's
 * page without new index entries (HOT; at the default fillfactor of 100 a third were not).
 */
export function transactionsLookupKeyDdl(schema: string): string[] {
  return [
    `ALTER TABLE ${schema}.${TRANSACTIONS_TABLE} ADD PRIMARY KEY (realm, transaction_id)`,
    `CREATE INDEX ON ${schema}.${TRANSACTIONS_TABLE} (realm, event_id) WHERE event_id IS NOT NULL`,
    `ALTER TABLE ${schema}.${TRANSACTIONS_TABLE} SET (fillfactor = 85)`,
  ];
}

/** Indexes only the queries below use (the projection never looks rows up by them). */
export function transactionsReaderIndexDdl(schema: string): string[] {
  return [
    // GET /finance/transactions: a user's side of transactions and transfers, an app's own.
    `CREATE INDEX IF NOT EXISTS transactions_user ON ${schema}.${TRANSACTIONS_TABLE} (realm, user_id, transaction_id DESC)`,
    `CREATE INDEX IF NOT EXISTS transactions_to_user ON ${schema}.${TRANSACTIONS_TABLE} (realm, to_user_id, transaction_id DESC) WHERE to_user_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS transactions_app ON ${schema}.${TRANSACTIONS_TABLE} (app_id, transaction_id DESC)`,
  ];
}

/** A row as written (JSON or COPY text: amounts are decimal strings, times ISO strings); its realm is the batch's. */
export interface TransactionRow {
  transaction_id: number;
  event_id: number | null;
  app_id: string | null;
  type: string;
  user_id: string;
  to_user_id: string | null;
  debit_account: string;
  credit_account: string;
  amount: string;
  currency: string;
  status: 'pending' | 'posted' | 'voided';
  description: string | null;
  reverses_transaction_id: number | null;
  created_at: string;
  settled_at: string | null;
  global_position: string;
}

const TRANSACTION_COLUMNS: Array<keyof TransactionRow> = [
  'transaction_id',
  'event_id',
  'app_id',
  'type',
  'user_id',
  'to_user_id',
  'debit_account',
  'credit_account',
  'amount',
  'currency',
  'status',
  'description',
  'reverses_transaction_id',
  'created_at',
  'settled_at',
  'global_position',
];

// ---- leaving pending: computed once per batch, the context of every fold

/** What the folds need of a pending transaction to move its money when it leaves pending. */
export type PendingTransaction = Pick<TransactionRow, 'transaction_id' | 'event_id' | 'app_id' | 'type' | 'debit_account' | 'credit_account' | 'amount' | 'currency'>;

/** A transaction leaving pending: posted when its finance event closes, voided when it expires. */
export interface Settlement {
  row: PendingTransaction;
  status: 'posted' | 'voided';
  at: string;
  /** The global position of the event that settled it (a balance's history orders changes by it). */
  position: bigint;
}

/** Pending transactions by id and by finance event (a v1 close or expiry names only the event). */
export class PendingTransactions {
  private readonly byId = new Map<number, PendingTransaction>();
  private readonly byEvent = new Map<number, Set<number>>();

  add(row: PendingTransaction): void {
    this.byId.set(row.transaction_id, row);
    const eventId = row.event_id ?? -1;
    let ids = this.byEvent.get(eventId);
    if (!ids) this.byEvent.set(eventId, (ids = new Set()));
    ids.add(row.transaction_id);
  }

  /** Takes the transaction out; it must be pending: a transaction leaves pending once. */
  take(id: number): PendingTransaction {
    const row = this.byId.get(id);
    if (!row) throw new Error(`read model misses pending transaction ${id}`);
    this.byId.delete(id);
    this.byEvent.get(row.event_id ?? -1)?.delete(id);
    return row;
  }

  /** The ids still pending in the finance event, oldest first. */
  ofEvent(eventId: number): number[] {
    return [...(this.byEvent.get(eventId) ?? [])];
  }
}

/**
 * The transactions of earlier batches that `events` may settle: by id (TransactionPosted or
 * TransactionVoided inside a finance event) and by finance event (a v1 close or expiry settles
 * what is left of it). A rebuild needs none: its replay holds every pending transaction.
 */
export async function loadPending(client: ClientBase, schema: string, events: readonly ReplayedEvent[], realm: string): Promise<PendingTransactions> {
  const transactionIds: number[] = [];
  const eventIds: number[] = [];
  for (const event of events) {
    // Not checked yet (settle is, where a bad event is quarantined): missing data must not throw here.
    const data = (event.data ?? {}) as Pick<TransactionData, 'transaction_id' | 'event_id' | 'type'>;
    if (event.type === 'TransactionPosted' || event.type === 'TransactionVoided') {
      if (wasPending(data)) transactionIds.push(data.transaction_id);
    } else if (event.type === 'EventClosed' || event.type === 'EventExpired' || event.type === 'EventAborted') {
      eventIds.push(data.event_id as number);
    }
  }
  const pending = new PendingTransactions();
  if (transactionIds.length === 0 && eventIds.length === 0) return pending;
  const { rows } = await client.query(
    `SELECT transaction_id, event_id, app_id, type, debit_account, credit_account, amount::text AS amount, currency
       FROM ${schema}.${TRANSACTIONS_TABLE}
      WHERE realm = $3 AND status = 'pending' AND (transaction_id = ANY($1::bigint[]) OR event_id = ANY($2::bigint[]))
      ORDER BY transaction_id`,
    [transactionIds, eventIds, realm],
  );
  for (const row of rows) {
    pending.add({ ...row, transaction_id: Number(row.transaction_id), event_id: row.event_id === null ? null : Number(row.event_id) });
  }
  return pending;
}

/**
 * The transactions `events` take out of pending, in order. `pending` holds those of earlier
 * batches the events may settle (loadPending; in a rebuild, every one still pending) and is kept
 * up to date: the batch's new pending transactions join it, the settled ones leave it. Throws
 * (the event's fault) when an event settles a transaction that is not pending.
 */
export function settle(events: readonly ReplayedEvent[], pending: PendingTransactions): Settlement[] {
  const settlements: Settlement[] = [];
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    switch (event.type) {
      case 'TransactionPending':
        pending.add(pendingTransaction(event.data));
        break;
      case 'TransactionPosted':
        // It was pending (inside a finance event, or a withdrawal or deposit): it posts now.
        if (wasPending(event.data)) {
          settlements.push({ row: pending.take(event.data.transaction_id), status: 'posted', at: event.data.posted_at, position: recorded.globalPosition });
        }
        break;
      case 'TransactionVoided':
        settlements.push({ row: pending.take(event.data.transaction_id), status: 'voided', at: event.data.voided_at, position: recorded.globalPosition });
        break;
      case 'EventClosed':
      case 'EventExpired':
      case 'EventAborted': {
        // Closing posts, expiry (abort) voids, whatever of the event is still pending: nothing when
        // the TransactionPosted/Voided events before it did (v2 on), everything in a v1 store.
        const status = event.type === 'EventClosed' ? 'posted' : 'voided';
        const at = event.type === 'EventClosed' ? event.data.closed_at : event.type === 'EventExpired' ? event.data.expired_at : event.data.aborted_at;
        for (const id of pending.ofEvent(event.data.event_id)) settlements.push({ row: pending.take(id), status, at, position: recorded.globalPosition });
        break;
      }
      default:
        break;
    }
  }
  return settlements;
}

function pendingTransaction(data: TransactionData): PendingTransaction {
  const { transaction_id, event_id, app_id, type, debit_account, credit_account, amount, currency } = data;
  return { transaction_id, event_id, app_id, type, debit_account, credit_account, amount, currency };
}

// ---- the fold and its writes

function transactionRow(data: TransactionData, status: TransactionRow['status'], position: bigint): TransactionRow {
  return {
    transaction_id: data.transaction_id,
    event_id: data.event_id,
    app_id: data.app_id,
    type: data.type,
    user_id: data.user_id,
    to_user_id: toUserId(data),
    debit_account: data.debit_account,
    credit_account: data.credit_account,
    amount: data.amount,
    currency: data.currency,
    status,
    description: data.description,
    reverses_transaction_id: data.reverses_transaction_id,
    created_at: data.created_at,
    settled_at: null,
    global_position: position.toString(),
  };
}

export interface TransactionsBatch {
  /** New in this batch (or, in a rebuild, still pending from earlier pages), in their state at its end. */
  created: Map<number, TransactionRow>;
  /** Created in an earlier batch, settled in this one. */
  settled: Array<{ transaction_id: number; status: string; settled_at: string }>;
}

const emptyBatch = (): TransactionsBatch => ({ created: new Map(), settled: [] });

/** Folds `events` and their settlements into `batch` (a new one per live batch; one kept across a rebuild's pages). */
export function foldTransactions(events: readonly ReplayedEvent[], { settlements }: FoldContext, batch: TransactionsBatch = emptyBatch()): TransactionsBatch {
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'TransactionPending') {
      batch.created.set(event.data.transaction_id, transactionRow(event.data, 'pending', recorded.globalPosition));
    } else if (event.type === 'TransactionPosted' && !wasPending(event.data)) {
      batch.created.set(event.data.transaction_id, transactionRow(event.data, 'posted', recorded.globalPosition));
    }
  }
  for (const { row, status, at } of settlements) {
    const fresh = batch.created.get(row.transaction_id);
    if (fresh) Object.assign(fresh, { status, settled_at: at });
    else batch.settled.push({ transaction_id: row.transaction_id, status, settled_at: at });
  }
  return batch;
}

/**
 * The settled ids come twice, as rows and as an array: `= ANY` of the array lets the key's index
 * find the rows whatever the table's statistics say. Joined with the rows alone, a table never
 * analyzed (PostgreSQL with autovacuum off, as on the benchmark's machine) was planned as a scan
 * of every transaction of the realm, per batch: tens of ms at 65,000 rows, growing with the table.
 */
export async function writeTransactions(client: ClientBase, schema: string, batch: TransactionsBatch, realm: string): Promise<void> {
  const table = `${schema}.${TRANSACTIONS_TABLE}`;
  await writeRealmRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`, [...batch.created.values()], realm);
  await writeRows(
    client,
    `UPDATE ${table} t SET status = u.status, settled_at = u.settled_at
       FROM jsonb_to_recordset($1) AS u(transaction_id bigint, status text, settled_at timestamptz)
      WHERE t.realm = $2 AND t.transaction_id = ANY($3::bigint[]) AND t.transaction_id = u.transaction_id`,
    batch.settled,
    realm,
    batch.settled.map((row) => row.transaction_id),
  );
}

/** A rebuild: each page COPYs the transactions no later event changes; what is still pending is written by `finish`. */
function replayTransactions(realm: string): Replaying {
  const batch = emptyBatch();
  return {
    fold(events, context) {
      foldTransactions(events, context, batch);
      const final = takeFinal(batch.created, (row) => row.status !== 'pending');
      return (client, schema) => copyRows(client, `${schema}.${TRANSACTIONS_TABLE}`, TRANSACTION_COLUMNS, final, realm);
    },
    finish: (client, schema) => writeTransactions(client, schema, batch, realm),
  };
}

export const transactions: ReadModel = {
  tables: { [TRANSACTIONS_TABLE]: ['realm', 'transaction_id'] },
  ddl: transactionsDdl,
  lookupKeyDdl: transactionsLookupKeyDdl,
  readerIndexDdl: transactionsReaderIndexDdl,
  fold(events, context) {
    const batch = foldTransactions(events, context);
    return (client, schema) => writeTransactions(client, schema, batch, context.realm);
  },
  replay: replayTransactions,
};

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

export interface TransactionFilter {
  /** The calling app's realm: its users are that realm's. */
  realm: string;
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
  currency, status, description, reverses_transaction_id, created_at`;

/** Newest first: a user's side of transactions and transfers, or (without user_id) the app's own. */
export async function listTransactions(db: Queryable, filter: TransactionFilter): Promise<{ data: TransactionReply[]; next_cursor: string | null }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  conditions.push(`realm = ${param(filter.realm)}`);
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
export async function transactionsOfEvent(db: Queryable, realm: string, eventId: number): Promise<TransactionReply[]> {
  const { rows } = await db.query(
    `SELECT ${REPLY_COLUMNS} FROM ${READ_SCHEMA}.${TRANSACTIONS_TABLE} WHERE realm = $1 AND event_id = $2 ORDER BY transaction_id`,
    [realm, eventId],
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
    reverses_transaction_id: row.reverses_transaction_id === null ? null : Number(row.reverses_transaction_id),
    created_at: row.created_at.toISOString(),
  };
  if (row.to_user_id) reply.to_user_id = row.to_user_id;
  return reply;
}
