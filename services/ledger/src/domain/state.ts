import { DEFAULT_IDEMPOTENCY_RETENTION_MS, type Refusal, type TransactionData, type TransactionReply } from '@coffer/contracts';
import { balanceKey, type Balance } from './accounts';

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
  status: 'closed' | 'expired';
}

/**
 * What the ledger remembers of a decided command, so a retry gets the first answer: a command
 * sent with an Idempotency-Key (request_hash set) for the retention window, one without a key
 * until its sender's deadline (a resend of it in flight, or a captured copy, is never applied
 * twice). Both are forgotten by event time, so a replay of the stream forgets exactly as the
 * live writer did.
 */
export interface DecidedCommand {
  request_hash: string | null;
  reply: unknown;
  /** Global position of the command's last event, once durable. */
  position: string;
  /** The refusal it got, for a command that was refused (answered again on replay). */
  refusal?: Refusal;
  /** Event time (epoch ms) from which it is forgotten: a command sent again then is decided afresh. */
  remembered_until_ms: number;
}

/**
 * Everything the single writer needs to decide any command exactly, held in memory. Mutated in
 * place by evolve(): copying maps of millions of accounts per command would cost more than the
 * decision itself, and only the writer's own loop touches it.
 */
export class LedgerState {
  /** Stream revision the state includes (-1: nothing yet). */
  revision = -1n;
  /** The latest event time folded (epoch ms): the clock by which remembered commands are forgotten. */
  clockMs = 0;
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
  /** Commands sent with an Idempotency-Key, in the order they were decided. */
  readonly commands = new Map<string, DecidedCommand>();
  /** Commands sent without a key, until their deadline, in the order they were decided. */
  readonly recentCommands = new Map<string, DecidedCommand>();

  constructor(readonly idempotencyRetentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS) {}
}

/** The command's record while it is remembered at `nowMs` (an expired one not yet pruned counts as forgotten). */
export function rememberedCommand(state: LedgerState, commandId: string, keyed: boolean, nowMs: number): DecidedCommand | undefined {
  const decided = (keyed ? state.commands : state.recentCommands).get(commandId);
  return decided && nowMs < decided.remembered_until_ms ? decided : undefined;
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
