import { DEFAULT_IDEMPOTENCY_RETENTION_MS, type TransactionData, type TransactionReply } from '@coffer/contracts';
import { CommandMemory } from '@coffer/decider';
import { balanceKey, type Balance } from './accounts';
import { PostedTransactions } from './posted-transactions';
import type { RememberedEvents } from './replies';
import { ExternalState } from './external-state';

export interface AppState {
  app_id: string;
  name: string;
  created_at: string;
  keys: Map<string, { key_hash: string; created_at: string; revoked_at: string | null }>;
}

/** An open finance event: everything deciding its pings, transactions, close and expiry needs. */
export interface FinanceEventState {
  event_id: number;
  app_id: string;
  description: string | null;
  opened_at: string;
  last_ping_at: string | null;
  /** Epoch milliseconds: compared on every expiry sweep. */
  expires_at_ms: number;
  /** Ids of the event's transactions still pending, in the order they were posted. */
  pending: number[];
  transactions: TransactionReply[];
}

/**
 * What the ledger keeps of a closed or expired event: whose it is and how it ended, enough to
 * refuse further commands on it. Its details and transactions never change again and live in
 * the read models; keeping them here would grow the writer's memory and snapshots without end.
 */
export interface SettledEvent {
  app_id: string;
  status: 'closed' | 'expired' | 'aborted';
}

/**
 * Everything the single writer needs to decide any command exactly, held in memory. Mutated in
 * place by evolve(): copying maps of millions of accounts per command would cost more than the
 * decision itself, and only the writer's own loop touches it.
 */
export class LedgerState {
  /** Stream revision the state includes (-1: nothing yet). */
  revision = -1n;
  term = 0;
  nextAppNumber = 1;
  nextEventId = 1;
  nextTransactionId = 1;
  readonly apps = new Map<string, AppState>();
  readonly keyOwners = new Map<string, string>(); // key_id -> app_id
  readonly balances = new Map<string, Balance>();
  /** Currencies each account has a balance in (for balance queries). */
  readonly currenciesOf = new Map<string, Set<string>>();
  readonly openEvents = new Map<number, FinanceEventState>();
  readonly settledEvents = new Map<number, SettledEvent>();
  readonly pendingTransactions = new Map<number, TransactionData>();
  /** What reversing needs of every posted transaction (posted-transactions.ts), and who owns each voided one. */
  readonly postedTransactions = new PostedTransactions();
  /** Linked external accounts and the withdrawals and deposits waiting for an operator (external-state.ts). */
  readonly external = new ExternalState();
  /**
   * The commands it decided, so a command sent again gets its first answer (forgotten by event
   * time): each with the events its answer is built from (replies.ts).
   */
  readonly memory: CommandMemory<RememberedEvents>;

  /** `idempotencyRetentionMs`: the window of keyed commands whose events do not say theirs (written before they did). */
  constructor(idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS) {
    this.memory = new CommandMemory<RememberedEvents>(idempotencyRetentionMs, (earlier, next) => (next.length === 0 ? earlier : [...earlier, ...next]));
  }
}

/**
 * The settled-event records, one object per app and ending: settled events are most of all the
 * events ever opened, and a shared record costs only the map entry.
 */
const settledRecords = new Map<string, SettledEvent>();

export function settledRecord(app_id: string, status: SettledEvent['status']): SettledEvent {
  const key = `${status}|${app_id}`;
  let record = settledRecords.get(key);
  if (!record) settledRecords.set(key, (record = Object.freeze({ app_id, status })));
  return record;
}

const ZERO: Readonly<Balance> = Object.freeze({ posted: 0n, pendingDebit: 0n, pendingCredit: 0n });

/** Reads a balance without creating it (decide must not change the state). */
export function balanceOf(state: LedgerState, account: string, currency: string): Readonly<Balance> {
  return state.balances.get(balanceKey(account, currency)) ?? ZERO;
}
