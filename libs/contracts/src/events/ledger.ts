/**
 * Domain events of the ledger context. Amounts are decimal strings (exact), times ISO-8601.
 * These are the current shapes (versions in EVENT_SCHEMA_VERSIONS); a change to a data shape
 * adds a version and a step in upcast.ts, through which every reader reads the store.
 *
 * Accounts are AccountIds (values/account-id.ts): a wallet, a house or the treasury. A transaction moves
 * `amount` from `debit_account` to `credit_account` (double entry): an account's balance is
 * its credits minus its debits, so per currency all balances sum to zero.
 */
import type { ErrorCode } from '../errors';
import type { AccountId } from '../values/account-id';

export type TransactionType = 'credit' | 'debit' | 'transfer' | 'grant';

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

/** A ping: the event stays open until `expires_at`. Stored as `EventPinged` before v2 stores. */
export interface Pinged {
  event_id: number;
  pinged_at: string;
  expires_at: string;
}

export interface TransactionData {
  transaction_id: number;
  event_id: number | null;
  app_id: string | null;
  type: TransactionType;
  /** The user the transaction is about (the sender of a transfer). */
  user_id: string;
  debit_account: AccountId;
  credit_account: AccountId;
  amount: string;
  currency: string;
  description: string | null;
  created_at: string;
}

/** A transaction inside an open finance event: held until the event closes or expires (v2; v1 said `kind`). */
export type TransactionPending = TransactionData;

/**
 * A transaction that moved money: once for every transaction, when it posts. At once (no
 * finance event: a transfer, a grant, a reward, a credit or debit outside an event), then
 * `posted_at` is its `created_at`; or when its finance event closes, then one per pending
 * transaction, in the same append as the EventClosed and before it. v1 (written at once only,
 * no `posted_at`, `kind` for `type`) reads as posted when created.
 */
export interface TransactionPosted extends TransactionData {
  posted_at: string;
}

/** Why a pending transaction was voided: its event expired (a later issue adds 'aborted'). */
export type VoidReason = 'expired';

/**
 * A pending transaction that will never move money: for every transaction an expiry voids, in
 * the same append as the EventExpired and before it (new in v2 stores).
 */
export interface TransactionVoided extends TransactionData {
  voided_at: string;
  reason: VoidReason;
}

/**
 * The event closed (v2). Closing posts whatever of the event is still pending: in a store
 * written since v2 the TransactionPosted events before it already did; v1 listed the ids
 * (`posted_transaction_ids`), which the upcaster drops, since the rule gives the same fold.
 */
export interface EventClosed {
  event_id: number;
  closed_at: string;
}

/**
 * The event expired (no ping within the timeout; v2). Expiry voids whatever of the event is
 * still pending: TransactionVoided events before it did in a v2 store (v1 listed
 * `voided_transaction_ids`, dropped by the upcaster).
 */
export interface EventExpired {
  event_id: number;
  expired_at: string;
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
  Pinged: Pinged;
  TransactionPending: TransactionPending;
  TransactionPosted: TransactionPosted;
  TransactionVoided: TransactionVoided;
  EventClosed: EventClosed;
  EventExpired: EventExpired;
}

export type LedgerEventType = keyof LedgerEventMap;

export type LedgerEvent = {
  [Type in LedgerEventType]: { type: Type; data: LedgerEventMap[Type] };
}[LedgerEventType];
