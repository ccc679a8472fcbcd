/**
 * Projects a batch of ledger events into one read-model generation with a handful of set-based
 * statements (one per table), whatever the batch size: the in-memory deltas of the batch are
 * summed first, then written with jsonb_populate_recordset. Runs inside the caller's transaction.
 * A rebuild folds the whole store with one delta instead (Replay).
 */
import type { PoolClient } from 'pg';
import { upcastEvent, userIdOfAccount, type LedgerEvent, type TransactionData } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { folding } from '../quarantine';
import { copyRows } from '@coffer/read-models';
import { projectReadModels, ReadModelsReplay } from './project-read-models';
import { generationSchema } from './schema';

interface TransactionRow {
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
  'created_at',
  'settled_at',
  'global_position',
];

interface AccountDelta {
  account: string;
  currency: string;
  posted: bigint;
  pending_debit: bigint;
  pending_credit: bigint;
}

interface TotalsDelta {
  day: string;
  app_id: string;
  currency: string;
  minted: bigint;
  absorbed: bigint;
  transferred: bigint;
}

class BatchDelta {
  /** By currency, then account: no key string built per lookup (millions in a rebuild). */
  readonly accounts = new Map<string, Map<string, AccountDelta>>();
  readonly totals = new Map<string, TotalsDelta>();
  readonly newTransactions = new Map<number, TransactionRow>();
  readonly settled = new Map<number, { transaction_id: number; status: string; settled_at: string }>();
  /** Ids of the transactions still pending, by finance event: what its close posts or its expiry voids. */
  readonly pendingByEvent = new Map<number, Set<number>>();

  account(account: string, currency: string): AccountDelta {
    let byAccount = this.accounts.get(currency);
    if (!byAccount) this.accounts.set(currency, (byAccount = new Map()));
    let delta = byAccount.get(account);
    if (!delta) byAccount.set(account, (delta = { account, currency, posted: 0n, pending_debit: 0n, pending_credit: 0n }));
    return delta;
  }

  /** Posted money by day and app: minted to users, absorbed from them, moved between them. */
  countPosted(tx: Pick<TransactionRow, 'type' | 'app_id' | 'currency' | 'amount'>, at: string): void {
    const day = at.slice(0, 10);
    const app = tx.app_id ?? '';
    const key = `${day}|${app}|${tx.currency}`;
    let delta = this.totals.get(key);
    if (!delta) {
      delta = { day, app_id: app, currency: tx.currency, minted: 0n, absorbed: 0n, transferred: 0n };
      this.totals.set(key, delta);
    }
    const amount = BigInt(tx.amount);
    if (tx.type === 'debit') delta.absorbed += amount;
    else if (tx.type === 'transfer') delta.transferred += amount;
    else delta.minted += amount;
  }

  /** Takes out the transactions that no later event changes (settled), leaving those still pending. */
  takeSettled(): TransactionRow[] {
    return take(this.newTransactions, (row) => row.status !== 'pending');
  }

  holdPending(eventId: number, transactionId: number): void {
    let ids = this.pendingByEvent.get(eventId);
    if (!ids) this.pendingByEvent.set(eventId, (ids = new Set()));
    ids.add(transactionId);
  }
}

function take<Row>(rows: Map<number, Row>, wanted: (row: Row) => boolean): Row[] {
  const taken: Row[] = [];
  for (const [id, row] of rows) {
    if (!wanted(row)) continue;
    taken.push(row);
    rows.delete(id);
  }
  return taken;
}

/**
 * Fails with UnprojectableEventError when an event's data is not what its type promises, with a
 * PostgreSQL data exception when a value does not fit its column, and otherwise only for a
 * fault of the database: the caller quarantines by that difference (../quarantine.ts).
 */
export async function projectBatch(client: PoolClient, generation: number, stored: ReplayedEvent[]): Promise<void> {
  const s = generationSchema(generation);
  const delta = new BatchDelta();
  const events = folding(() => stored.map(upcastEvent));
  const earlier = await pendingFromEarlierBatches(client, s, delta, folding(() => settledBy(events)));
  folding(() => {
    for (const recorded of events) {
      apply(delta, { type: recorded.type, data: recorded.data } as LedgerEvent, recorded, earlier);
    }
  });
  await write(client, s, delta);
  await projectReadModels(client, s, events, {});
}

/** Nothing comes from earlier batches in a replay: its delta holds every pending transaction. */
const NONE_EARLIER = (): Map<number, TransactionRow> => new Map();

/**
 * A rebuild's fold of the store into an empty generation, page by page, with one delta kept
 * across pages: a pending transaction or an open finance event stays in memory until it is
 * settled or closed, so each row is inserted once, in its final state, and nothing is read back
 * (the live projector's UPDATEs and pendingFromEarlierBatches lookups were most of a rebuild's
 * statements). Pages COPY their rows into tables without lookup keys (Generations.create);
 * balances and daily totals are written by `finish`, after addLookupKeys. A page's
 * write owns its rows (the delta no longer holds them), so it may run while the next page is
 * folded.
 */
export class Replay {
  private readonly delta = new BatchDelta();
  private readonly readModels = new ReadModelsReplay();
  private readonly schema: string;

  constructor(generation: number) {
    this.schema = generationSchema(generation);
  }

  /** Folds a page of events; returns the write of its rows that no later event changes. */
  fold(stored: ReplayedEvent[]): (client: PoolClient) => Promise<void> {
    const events = folding(() => stored.map(upcastEvent));
    folding(() => {
      const earlier = NONE_EARLIER();
      for (const recorded of events) {
        apply(this.delta, { type: recorded.type, data: recorded.data } as LedgerEvent, recorded, earlier);
      }
    });
    const settled = this.delta.takeSettled();
    const readModels = this.readModels.fold(events, {});
    return async (client) => {
      await copyRows(client, `${this.schema}.transactions`, TRANSACTION_COLUMNS, settled);
      await readModels(client, this.schema);
    };
  }

  /** Writes what the pages left: pending transactions, open finance events, sums and the read models of @coffer/read-models. */
  async finish(client: PoolClient): Promise<void> {
    await write(client, this.schema, this.delta);
    await this.readModels.finish(client, this.schema);
  }
}

function apply(
  delta: BatchDelta,
  event: LedgerEvent,
  recorded: ReplayedEvent,
  earlier: Map<number, TransactionRow>,
): void {
  switch (event.type) {
    case 'TransactionPending': {
      const row = transactionRow(event.data, 'pending', recorded.globalPosition);
      delta.newTransactions.set(row.transaction_id, row);
      delta.holdPending(event.data.event_id ?? -1, row.transaction_id);
      const amount = BigInt(row.amount);
      delta.account(row.debit_account, row.currency).pending_debit += amount;
      delta.account(row.credit_account, row.currency).pending_credit += amount;
      return;
    }
    case 'TransactionPosted': {
      // Inside a finance event it was pending: it posts now (when the event closes).
      if (event.data.event_id !== null) {
        leavePending(delta, earlier, event.data.transaction_id, 'posted', event.data.posted_at);
        return;
      }
      const row = transactionRow(event.data, 'posted', recorded.globalPosition);
      delta.newTransactions.set(row.transaction_id, row);
      const amount = BigInt(row.amount);
      delta.account(row.debit_account, row.currency).posted -= amount;
      delta.account(row.credit_account, row.currency).posted += amount;
      delta.countPosted(row, event.data.posted_at);
      return;
    }
    case 'TransactionVoided':
      leavePending(delta, earlier, event.data.transaction_id, 'voided', event.data.voided_at);
      return;
    case 'EventClosed':
    case 'EventExpired': {
      // Closing posts, expiry voids, whatever of the event is still pending: nothing when the
      // TransactionPosted/Voided events before it did (v2), everything in a v1 store.
      const closed = event.type === 'EventClosed';
      const at = closed ? event.data.closed_at : event.data.expired_at;
      for (const id of [...(delta.pendingByEvent.get(event.data.event_id) ?? [])]) {
        leavePending(delta, earlier, id, closed ? 'posted' : 'voided', at);
      }
      delta.pendingByEvent.delete(event.data.event_id);
      return;
    }
    default:
      return; // not a ledger read-model event (writer terms, other contexts)
  }
}

/**
 * A pending transaction posts or is voided at `at`: its amount leaves the pending sums (and,
 * posted, moves and counts in the day's totals). It must be pending, in this batch or an
 * earlier one: a transaction leaves pending once.
 */
function leavePending(
  delta: BatchDelta,
  earlier: Map<number, TransactionRow>,
  id: number,
  status: 'posted' | 'voided',
  at: string,
): void {
  const fresh = delta.newTransactions.get(id);
  const row = fresh ?? earlier.get(id);
  if (!row || row.status !== 'pending') throw new Error(`read model misses pending transaction ${id}`);
  const amount = BigInt(row.amount);
  const debit = delta.account(row.debit_account, row.currency);
  const credit = delta.account(row.credit_account, row.currency);
  debit.pending_debit -= amount;
  credit.pending_credit -= amount;
  if (status === 'posted') {
    debit.posted -= amount;
    credit.posted += amount;
    delta.countPosted(row, at);
  }
  if (fresh) {
    Object.assign(fresh, { status, settled_at: at });
  } else {
    earlier.delete(id);
    delta.settled.set(id, { transaction_id: id, status, settled_at: at });
  }
  delta.pendingByEvent.get(Number(row.event_id))?.delete(id);
}

function transactionRow(data: TransactionData, status: TransactionRow['status'], position: bigint): TransactionRow {
  return {
    transaction_id: data.transaction_id,
    event_id: data.event_id,
    app_id: data.app_id,
    type: data.type,
    user_id: data.user_id,
    to_user_id: data.type === 'transfer' ? userIdOfAccount(data.credit_account) : null,
    debit_account: data.debit_account,
    credit_account: data.credit_account,
    amount: data.amount,
    currency: data.currency,
    status,
    description: data.description,
    created_at: data.created_at,
    settled_at: null,
    global_position: position.toString(),
  };
}

/** The transactions and finance events whose pending transactions events of this batch may settle. */
function settledBy(events: ReplayedEvent[]): { transactionIds: number[]; eventIds: number[] } {
  const transactionIds: number[] = [];
  const eventIds: number[] = [];
  for (const event of events) {
    const data = event.data as { transaction_id: number; event_id: number | null };
    if (event.type === 'TransactionPosted' || event.type === 'TransactionVoided') {
      if (data.event_id !== null) transactionIds.push(data.transaction_id);
    } else if (event.type === 'EventClosed' || event.type === 'EventExpired') {
      eventIds.push(data.event_id as number);
    }
  }
  return { transactionIds, eventIds };
}

/**
 * Pending transactions that events of this batch settle but earlier batches created: by id
 * (TransactionPosted/Voided) and by finance event (its close or expiry settles what is left),
 * held in `delta` by event as the batch's own are.
 */
async function pendingFromEarlierBatches(
  client: PoolClient,
  s: string,
  delta: BatchDelta,
  { transactionIds, eventIds }: { transactionIds: number[]; eventIds: number[] },
): Promise<Map<number, TransactionRow>> {
  if (transactionIds.length === 0 && eventIds.length === 0) return new Map();
  const { rows } = await client.query<TransactionRow>(
    `SELECT transaction_id, event_id, debit_account, credit_account, amount::text, currency, type, app_id, status
       FROM ${s}.transactions
      WHERE status = 'pending' AND (transaction_id = ANY($1::bigint[]) OR event_id = ANY($2::bigint[]))`,
    [transactionIds, eventIds],
  );
  for (const row of rows) delta.holdPending(Number(row.event_id), Number(row.transaction_id));
  return new Map(rows.map((row) => [Number(row.transaction_id), row]));
}

/** Sums are bigints in memory; JSON carries them as strings, which numeric columns take exactly. */
const json = (rows: unknown[]) => JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));

function run(client: PoolClient, sql: string, rows: unknown[]) {
  return rows.length ? client.query(sql, [json(rows)]) : undefined;
}

async function write(client: PoolClient, s: string, delta: BatchDelta): Promise<void> {
  await run(
    client,
    `INSERT INTO ${s}.transactions SELECT * FROM jsonb_populate_recordset(null::${s}.transactions, $1)`,
    [...delta.newTransactions.values()],
  );
  await run(
    client,
    `UPDATE ${s}.transactions t SET status = u.status, settled_at = u.settled_at
       FROM jsonb_to_recordset($1) AS u(transaction_id bigint, status text, settled_at timestamptz)
      WHERE t.transaction_id = u.transaction_id`,
    [...delta.settled.values()],
  );
  await run(
    client,
    `INSERT INTO ${s}.accounts AS a SELECT * FROM jsonb_populate_recordset(null::${s}.accounts, $1)
       ON CONFLICT (account, currency) DO UPDATE SET
         posted = a.posted + excluded.posted,
         pending_debit = a.pending_debit + excluded.pending_debit,
         pending_credit = a.pending_credit + excluded.pending_credit`,
    [...delta.accounts.values()].flatMap((byAccount) => [...byAccount.values()]),
  );
  await run(
    client,
    `INSERT INTO ${s}.daily_totals AS d SELECT * FROM jsonb_populate_recordset(null::${s}.daily_totals, $1)
       ON CONFLICT (day, app_id, currency) DO UPDATE SET
         minted = d.minted + excluded.minted,
         absorbed = d.absorbed + excluded.absorbed,
         transferred = d.transferred + excluded.transferred`,
    [...delta.totals.values()],
  );
}
