/**
 * The finance transaction's domain events. Amounts are decimal strings (exact), times ISO-8601.
 * These are the current shapes (versions in EVENT_SCHEMA_VERSIONS, ../events/versions.ts); a
 * change to a data shape adds a version here, its schema in feed.ts and a step in
 * ../events/upcast.ts, through which every reader reads the store.
 *
 * Accounts are AccountIds (values/account-id.ts): a wallet, a house or the treasury. A transaction
 * moves `amount` from `debit_account` to `credit_account` (double entry): an account's balance is
 * its credits minus its debits, so per currency all balances sum to zero.
 */
import { isUserAccount, userIdOfAccount, type AccountId } from '../values/account-id';

/**
 * What a transaction is: the word `type` names it from the JSON field to the column. A
 * withdrawal (wallet to `external`) and a deposit (`external` to wallet) are held pending outside
 * any finance event until an operator accepts (posted) or declines (voided) it. A reversal moves
 * a posted transaction's money back, linked by `reverses_transaction_id` (v3).
 */
export const TRANSACTION_TYPES = ['credit', 'debit', 'transfer', 'grant', 'withdrawal', 'deposit', 'reversal'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/** The types that are always pending first, awaiting an operator's verification (no finance event). */
export const VERIFIED_TRANSACTION_TYPES: readonly TransactionType[] = ['withdrawal', 'deposit'];

/**
 * Whether a transaction was pending before it posted (or was voided): inside a finance event, or
 * a withdrawal or deposit awaiting verification. Every reader that tells "posted at once" from
 * "leaves pending" asks this, never event_id alone.
 */
export function wasPending(data: Pick<TransactionData, 'event_id' | 'type'>): boolean {
  return data.event_id !== null || VERIFIED_TRANSACTION_TYPES.includes(data.type);
}

/** Where a transaction stands: pending in an open finance event, then posted or voided. */
export const TRANSACTION_STATUSES = ['pending', 'posted', 'voided'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export interface TransactionData {
  transaction_id: number;
  /** The finance event it belongs to, or null. */
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
  /** A reversal's original (a posted transaction it moves back, in part or whole); null otherwise (v3). */
  reverses_transaction_id: number | null;
  created_at: string;
}

/**
 * The user who receives when a transaction moves money from one wallet to another (a transfer, or
 * a transfer's reversal): the API's `to_user_id`, next to `user_id`, the one who sends; null
 * when one side is a house or the treasury.
 */
export function toUserId(data: Pick<TransactionData, 'debit_account' | 'credit_account'>): string | null {
  return isUserAccount(data.debit_account) ? userIdOfAccount(data.credit_account) : null;
}

/** A transaction held pending: inside an open finance event until it closes or expires, or a withdrawal or deposit until an operator decides it (v3; v1 said `kind`). */
export type TransactionPending = TransactionData;

/**
 * A transaction that moved money: once for every transaction, when it posts. At once (no
 * finance event: a transfer, a grant, a reward, a credit or debit outside a finance event), then
 * `posted_at` is its `created_at`; or when its finance event closes, then one per pending
 * transaction, in the same append as the EventClosed and before it. v1 (written at once only,
 * no `posted_at`, `kind` for `type`) reads as posted when created.
 */
export interface TransactionPosted extends TransactionData {
  posted_at: string;
}

/**
 * Why a pending transaction was voided: its finance event expired, an operator declined its
 * withdrawal or deposit, or its app aborted its finance event (v2).
 */
export const VOID_REASONS = ['expired', 'declined', 'aborted'] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

/**
 * A pending transaction that will never move money: for every transaction an expiry (abort)
 * voids, in the same append as the EventExpired (EventAborted) and before it (new in v2 stores).
 */
export interface TransactionVoided extends TransactionData {
  voided_at: string;
  reason: VoidReason;
}

export interface TransactionEventMap {
  TransactionPending: TransactionPending;
  TransactionPosted: TransactionPosted;
  TransactionVoided: TransactionVoided;
}
