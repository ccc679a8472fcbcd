/**
 * Domain events of the ledger context. Amounts are decimal strings (exact), times ISO-8601.
 * Every type here is version 1; a change to a data shape adds a version and an upcaster.
 *
 * Accounts are AccountIds (values/account-id.ts): a wallet, a house or the treasury. A transaction moves
 * `amount` from `debit_account` to `credit_account` (double entry): an account's balance is
 * its credits minus its debits, so per currency all balances sum to zero.
 */
import type { ErrorCode } from '../errors';
import type { AccountId } from '../values/account-id';

export type TransactionKind = 'credit' | 'debit' | 'transfer' | 'grant';

export interface AppRegistered {
  app_id: string;
  name: string;
  registered_at: string;
}

export interface ApiKeyIssued {
  app_id: string;
  key_id: string;
  /** SHA-256 of the key, hex: the key itself is never stored. */
  key_hash: string;
  issued_at: string;
}

export interface ApiKeyRevoked {
  app_id: string;
  key_id: string;
  revoked_at: string;
}

export interface EventOpened {
  event_id: number;
  app_id: string;
  description: string | null;
  opened_at: string;
  expires_at: string;
}

export interface EventPinged {
  event_id: number;
  pinged_at: string;
  expires_at: string;
}

export interface TransactionData {
  transaction_id: number;
  event_id: number | null;
  app_id: string | null;
  kind: TransactionKind;
  /** The user the transaction is about (the sender of a transfer). */
  user_id: string;
  debit_account: AccountId;
  credit_account: AccountId;
  amount: string;
  currency: string;
  description: string | null;
  created_at: string;
}

/** A transaction inside an open finance event: held until the event closes or expires. */
export type TransactionPending = TransactionData;

/** A transaction that moved money at once (no finance event). */
export type TransactionPosted = TransactionData;

/** Closing posts every pending transaction of the event. */
export interface EventClosed {
  event_id: number;
  closed_at: string;
  posted_transaction_ids: number[];
}

/** Expiry (no ping within the timeout) voids every pending transaction of the event. */
export interface EventExpired {
  event_id: number;
  expired_at: string;
  voided_transaction_ids: number[];
}

/**
 * A ledger writer took over the realm's stream. It is appended at the revision the writer rebuilt
 * from, so any older writer's next append fails its revision check: the stream revision is the
 * fencing token that keeps two writers from ever both writing.
 */
export interface WriterTermStarted {
  term: number;
  instance_id: string;
  started_at: string;
}

/**
 * The ledger refused a command sent with an Idempotency-Key. Recorded so that a retry with the
 * same key and body gets this refusal again, also after a restart and even if the state has
 * changed since (funds arrived): API.md's "returns the first response again". The command's id
 * and request hash are in the metadata. Refusals of commands without a key write nothing.
 */
export interface CommandRefused {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface LedgerEventMap {
  WriterTermStarted: WriterTermStarted;
  CommandRefused: CommandRefused;
  AppRegistered: AppRegistered;
  ApiKeyIssued: ApiKeyIssued;
  ApiKeyRevoked: ApiKeyRevoked;
  EventOpened: EventOpened;
  EventPinged: EventPinged;
  TransactionPending: TransactionPending;
  TransactionPosted: TransactionPosted;
  EventClosed: EventClosed;
  EventExpired: EventExpired;
}

export type LedgerEventType = keyof LedgerEventMap;

export type LedgerEvent = {
  [Type in LedgerEventType]: { type: Type; data: LedgerEventMap[Type] };
}[LedgerEventType];
