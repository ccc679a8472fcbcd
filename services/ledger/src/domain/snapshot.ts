/**
 * The writer's state as JSON, so a restart loads a snapshot and replays only the events after
 * it. bigints become decimal strings; maps become entry lists. restore(snapshot(s)) equals s.
 */
import type { TransactionData } from '@coffer/contracts';
import type { Balance } from './accounts';
import { LedgerState, settledRecord, type AppState, type DecidedCommand, type FinanceEventState, type SettledEvent } from './state';

/**
 * 3: remembered commands expire (each has its end), commands without a key are remembered until
 * their deadline, and the event clock they expire by is kept.
 * 2: settled events as id lists per app and ending (1 held every event in full).
 */
export const SNAPSHOT_VERSION = 3;

export interface LedgerSnapshot {
  version: number;
  revision: string;
  term: number;
  nextAppNumber: number;
  nextEventId: number;
  nextTransactionId: number;
  clockMs: number;
  apps: Array<Omit<AppState, 'keys'> & { keys: Array<[string, { key_hash: string; created_at: string; revoked_at: string | null }]> }>;
  balances: Array<[string, string, string, string]>;
  openEvents: FinanceEventState[];
  /** [app_id, status, event ids]: the bulk of a long-lived ledger's events, kept small. */
  settledEvents: Array<[string, SettledEvent['status'], number[]]>;
  pendingTransactions: TransactionData[];
  commands: Array<[string, DecidedCommand]>;
  recentCommands: Array<[string, DecidedCommand]>;
}

/** Shares objects with the live state: serialise it at once (the writer stringifies it on the spot). */
export function snapshot(state: LedgerState): LedgerSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    revision: state.revision.toString(),
    term: state.term,
    nextAppNumber: state.nextAppNumber,
    nextEventId: state.nextEventId,
    nextTransactionId: state.nextTransactionId,
    clockMs: state.clockMs,
    apps: [...state.apps.values()].map((app) => ({ ...app, keys: [...app.keys] })),
    balances: [...state.balances].map(([key, b]) => [
      key,
      b.posted.toString(),
      b.pendingDebit.toString(),
      b.pendingCredit.toString(),
    ]),
    openEvents: [...state.openEvents.values()],
    settledEvents: settledIdLists(state),
    pendingTransactions: [...state.pendingTransactions.values()],
    commands: [...state.commands],
    recentCommands: [...state.recentCommands],
  };
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

/** A snapshot as stored: possibly written by another version of the ledger. */
export type StoredSnapshot = Pick<LedgerSnapshot, 'revision'> & { version: unknown };

/** Whether restore() reads this snapshot; a writer that cannot replays the whole stream instead. */
export function isReadableSnapshot(snap: StoredSnapshot): snap is LedgerSnapshot {
  return snap.version === SNAPSHOT_VERSION;
}

/** The retention window is the running ledger's setting, not the snapshot's: records keep the ends they were given. */
export function restore(snap: LedgerSnapshot, idempotencyRetentionMs?: number): LedgerState {
  if (snap.version !== SNAPSHOT_VERSION) throw new Error(`unknown ledger snapshot version ${snap.version}`);
  const state = new LedgerState(idempotencyRetentionMs);
  state.revision = BigInt(snap.revision);
  state.term = snap.term;
  state.nextAppNumber = snap.nextAppNumber;
  state.nextEventId = snap.nextEventId;
  state.nextTransactionId = snap.nextTransactionId;
  state.clockMs = snap.clockMs;
  for (const app of snap.apps) {
    state.apps.set(app.app_id, { ...app, keys: new Map(app.keys) });
    for (const [keyId] of app.keys) state.keyOwners.set(keyId, app.app_id);
  }
  for (const [key, posted, pendingDebit, pendingCredit] of snap.balances) {
    const balance: Balance = { posted: BigInt(posted), pendingDebit: BigInt(pendingDebit), pendingCredit: BigInt(pendingCredit) };
    state.balances.set(key, balance);
    const [account, currency] = splitBalanceKey(key);
    let currencies = state.currenciesOf.get(account);
    if (!currencies) state.currenciesOf.set(account, (currencies = new Set()));
    currencies.add(currency);
  }
  for (const finance of snap.openEvents) state.openEvents.set(finance.event_id, finance);
  for (const [app_id, status, ids] of snap.settledEvents) {
    const record = settledRecord(app_id, status);
    for (const id of ids) state.settledEvents.set(id, record);
  }
  for (const data of snap.pendingTransactions) state.pendingTransactions.set(data.transaction_id, data);
  for (const [id, decided] of snap.commands) state.commands.set(id, decided);
  for (const [id, decided] of snap.recentCommands) state.recentCommands.set(id, decided);
  return state;
}

function splitBalanceKey(key: string): [string, string] {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}
