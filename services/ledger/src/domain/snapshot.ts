/**
 * The writer's state as lines of JSON, so a restart loads a snapshot and replays only the events
 * after it: the first line is the head (everything but the posted transactions and the
 * remembered commands), then pages of posted transactions (`{"posted": rows}`), then pages of
 * remembered commands (arrays of rows). bigints become decimal strings; maps become entry lists.
 * restore(snapshotLines(s)) equals s.
 *
 * Lines, not one document: the remembered commands may be hundreds of megabytes (see
 * MAX_REMEMBERED_COMMANDS), beyond what one JavaScript string may hold, and serialising them at
 * once would stall the writer for as long; page by page, the writer yields between pages.
 */
import type { TransactionData } from '@coffer/contracts';
import { restoreRows, toRow, type RememberedCommand, type RememberedRow } from '@coffer/decider';
import type { AccountId } from '@coffer/contracts';
import type { Balance } from './accounts';
import { finalRecord, type FinalRecord, type PostedRecord } from './posted-transactions';
import type { RememberedEvents } from './replies';
import { externalSnapshot, restoreExternal, type ExternalSnapshot } from './external-state';
import { LedgerState, settledRecord, type AllowanceState, type AppState, type FinanceEventState, type SettledEvent } from './state';

/**
 * 10: `external` keeps the payment references of waiting and accepted deposits.
 * 9: issue 13 whole: this branch's 8 (app settings, mint counters, allowances and claims, with
 *    `external`) and abort-reversal's 8 (posted and final transactions, with `external`): a
 *    snapshot of either 8 is not read, the stream is replayed.
 * 8 (allowances-limits): apps' settings, mint counters, allowances and claims with `external`.
 * 8 (abort-reversal): its 7 and main's 7 together.
 * 7 (allowances-limits): apps carry their settings and the day's mint counter; allowances and this period's claims.
 * 7 (abort-reversal): posted transactions (what a reversal needs of each: pages of rows) and the final ones
 * (voided, reversals: id lists per app and kind); settled events may be 'aborted'.
 * 7 (withdrawals): linked external accounts and waiting withdrawals and deposits (`external`).
 * 6: a remembered command keeps the events its answer is built from (5 kept the answer itself):
 * a snapshot of 5 is not read, the stream is replayed.
 * 5: transactions say `type` (4 said `kind`): a snapshot of 4 is not read, the stream is replayed.
 * 4: lines (head, then pages of remembered commands as rows); keyed commands carry the end their
 * writer stamped.
 * 3: remembered commands expire (each has its end), commands without a key are remembered until
 * their deadline, and the event clock they expire by is kept.
 * 2: settled events as id lists per app and ending (1 held every event in full).
 */
export const SNAPSHOT_VERSION = 10;

/** Remembered commands per line of a snapshot: each line is serialised (and parsed) in one go. */
export const SNAPSHOT_PAGE_ROWS = 5_000;

export interface SnapshotHead {
  version: number;
  revision: string;
  term: number;
  nextAppNumber: number;
  nextEventId: number;
  nextTransactionId: number;
  clockMs: number;
  apps: Array<
    Omit<AppState, 'keys' | 'minted'> & {
      keys: Array<[string, { key_hash: string; created_at: string; revoked_at: string | null }]>;
      /** [currency, day, net]. */
      minted: Array<[string, string, string]>;
    }
  >;
  allowances: Array<[string, AllowanceState]>;
  /** [claimsKey, period_start, user ids]. */
  allowanceClaims: Array<[string, string, string[]]>;
  balances: Array<[string, string, string, string]>;
  openEvents: FinanceEventState[];
  /** [app_id, status, event ids]: the bulk of a long-lived ledger's events, kept small. */
  settledEvents: Array<[string, SettledEvent['status'], number[]]>;
  pendingTransactions: TransactionData[];
  external: ExternalSnapshot;
  /** [app_id, kind, transaction ids]: voided transactions and reversals, never reversed. */
  finalTransactions: Array<[string | null, FinalRecord['kind'], number[]]>;
}

/** A posted transaction as a snapshot's row: [id, app_id, debit, credit, currency, reversible]. */
export type PostedRow = [number, string | null, AccountId, AccountId, string, string];

/** A page of posted transactions (an object, where a page of remembered commands is an array). */
export interface PostedPage {
  posted: PostedRow[];
}

/** The whole snapshot as one value, to compare two states (the writer writes it as snapshotLines). */
export interface LedgerSnapshot extends SnapshotHead {
  posted: PostedRow[];
  commands: Array<RememberedRow<RememberedEvents>>;
}

export function snapshot(state: LedgerState): LedgerSnapshot {
  return { ...snapshotHead(state), posted: [...postedRows(state)], commands: [...rowsOf(state.memory.keyed), ...rowsOf(state.memory.unkeyed)] };
}

function postedRow(id: number, record: PostedRecord): PostedRow {
  return [id, record.app_id, record.debit_account, record.credit_account, record.currency, record.reversible.toString()];
}

function* postedRows(state: LedgerState): Generator<PostedRow> {
  for (const [id, record] of state.postedTransactions.reversible) yield postedRow(id, record);
}

/**
 * The snapshot's lines. The head is serialised at once (it shares mutable objects with the
 * state); the remembered commands are captured at once as lists of their records, which are
 * replaced and never changed, so their pages may be serialised later while the writer goes on.
 */
export function snapshotLines(state: LedgerState): Iterable<string> {
  const head = JSON.stringify(snapshotHead(state));
  // The posted records are replaced, never changed (a reversal makes a new one): captured now by
  // reference, serialised page by page later, as the remembered commands are.
  const posted = { ids: [...state.postedTransactions.reversible.keys()], records: [...state.postedTransactions.reversible.values()] };
  const memories = [state.memory.keyed, state.memory.unkeyed].map((memory) => ({ ids: [...memory.keys()], records: [...memory.values()] }));
  return (function* () {
    yield head;
    for (let start = 0; start < posted.ids.length; start += SNAPSHOT_PAGE_ROWS) {
      const rows: PostedRow[] = [];
      for (let i = start; i < Math.min(posted.ids.length, start + SNAPSHOT_PAGE_ROWS); i++) rows.push(postedRow(posted.ids[i], posted.records[i]));
      yield JSON.stringify({ posted: rows } satisfies PostedPage);
    }
    for (const { ids, records } of memories) {
      for (let start = 0; start < ids.length; start += SNAPSHOT_PAGE_ROWS) {
        const rows: RememberedRow[] = [];
        for (let i = start; i < Math.min(ids.length, start + SNAPSHOT_PAGE_ROWS); i++) rows.push(toRow(ids[i], records[i]));
        yield JSON.stringify(rows);
      }
    }
  })();
}

function* rowsOf(memory: Map<string, RememberedCommand<RememberedEvents>>): Generator<RememberedRow<RememberedEvents>> {
  for (const [id, remembered] of memory) yield toRow(id, remembered);
}

function snapshotHead(state: LedgerState): SnapshotHead {
  return {
    version: SNAPSHOT_VERSION,
    revision: state.revision.toString(),
    term: state.term,
    nextAppNumber: state.nextAppNumber,
    nextEventId: state.nextEventId,
    nextTransactionId: state.nextTransactionId,
    clockMs: state.memory.clockMs,
    apps: [...state.apps.values()].map((app) => ({
      ...app,
      keys: [...app.keys],
      minted: [...app.minted].map(([currency, { day, net }]): [string, string, string] => [currency, day, net.toString()]),
    })),
    allowances: [...state.allowances],
    allowanceClaims: [...state.allowanceClaims].map(([key, { period_start, users }]): [string, string, string[]] => [key, period_start, [...users]]),
    balances: [...state.balances].map(([key, b]) => [
      key,
      b.posted.toString(),
      b.pendingDebit.toString(),
      b.pendingCredit.toString(),
    ]),
    openEvents: [...state.openEvents.values()],
    settledEvents: settledIdLists(state),
    pendingTransactions: [...state.pendingTransactions.values()],
    finalTransactions: finalIdLists(state),
    external: externalSnapshot(state.external),
  };
}

function finalIdLists(state: LedgerState): SnapshotHead['finalTransactions'] {
  const lists = new Map<FinalRecord, number[]>();
  for (const [id, record] of state.postedTransactions.final) {
    let ids = lists.get(record);
    if (!ids) lists.set(record, (ids = []));
    ids.push(id);
  }
  return [...lists].map(([record, ids]) => [record.app_id, record.kind, ids]);
}

function settledIdLists(state: LedgerState): LedgerSnapshot['settledEvents'] {
  const lists = new Map<SettledEvent, number[]>();
  for (const [id, record] of state.settledEvents) {
    let ids = lists.get(record);
    if (!ids) lists.set(record, (ids = []));
    ids.push(id);
  }
  return [...lists].map(([record, ids]) => [record.app_id, record.status, ids]);
}

/** A snapshot's head as stored: possibly written by another version of the ledger. */
export type StoredSnapshotHead = { version: unknown };

/** Whether restore() reads this snapshot; a writer that cannot replays the whole stream instead. */
export function isReadableSnapshot(head: StoredSnapshotHead): head is SnapshotHead {
  return head.version === SNAPSHOT_VERSION;
}

/**
 * The state a snapshot holds: its head and its pages (the lines after the head). The retention
 * window is the running ledger's setting, used only for events that do not stamp their own end.
 */
export function restore(head: SnapshotHead, pages: Iterable<string>, idempotencyRetentionMs?: number): LedgerState {
  if (head.version !== SNAPSHOT_VERSION) throw new Error(`unknown ledger snapshot version ${head.version}`);
  const state = new LedgerState(idempotencyRetentionMs);
  state.revision = BigInt(head.revision);
  state.term = head.term;
  state.nextAppNumber = head.nextAppNumber;
  state.nextEventId = head.nextEventId;
  state.nextTransactionId = head.nextTransactionId;
  state.memory.clockMs = head.clockMs;
  for (const app of head.apps) {
    state.apps.set(app.app_id, {
      ...app,
      keys: new Map(app.keys),
      minted: new Map(app.minted.map(([currency, day, net]) => [currency, { day, net: BigInt(net) }])),
    });
    for (const [keyId] of app.keys) state.keyOwners.set(keyId, app.app_id);
  }
  for (const [key, posted, pendingDebit, pendingCredit] of head.balances) {
    const balance: Balance = { posted: BigInt(posted), pendingDebit: BigInt(pendingDebit), pendingCredit: BigInt(pendingCredit) };
    state.balances.set(key, balance);
    const [account, currency] = splitBalanceKey(key);
    let currencies = state.currenciesOf.get(account);
    if (!currencies) state.currenciesOf.set(account, (currencies = new Set()));
    currencies.add(currency);
  }
  for (const finance of head.openEvents) state.openEvents.set(finance.event_id, finance);
  for (const [app_id, status, ids] of head.settledEvents) {
    const record = settledRecord(app_id, status);
    for (const id of ids) state.settledEvents.set(id, record);
  }
  for (const data of head.pendingTransactions) state.pendingTransactions.set(data.transaction_id, data);
  for (const [currency, allowance] of head.allowances) state.allowances.set(currency, allowance);
  for (const [key, period_start, users] of head.allowanceClaims) state.allowanceClaims.set(key, { period_start, users: new Set(users) });
  restoreExternal(state.external, head.external);
  for (const [app_id, kind, ids] of head.finalTransactions) {
    const record = finalRecord(app_id, kind);
    for (const id of ids) state.postedTransactions.final.set(id, record);
  }
  for (const page of pages) {
    const parsed = JSON.parse(page) as Array<RememberedRow<RememberedEvents>> | PostedPage;
    if (!Array.isArray(parsed)) {
      for (const [id, app_id, debit, credit, currency, reversible] of parsed.posted) {
        state.postedTransactions.addPosted(id, app_id, debit, credit, currency, BigInt(reversible));
      }
    } else restoreRows(state.memory, parsed);
  }
  return state;
}

function splitBalanceKey(key: string): [string, string] {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}
