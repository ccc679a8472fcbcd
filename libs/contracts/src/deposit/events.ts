/**
 * Deposits' domain events: a user says money came in from a linked external account (a bank
 * transfer, a shop purchase), the amount is credited pending at once (a TransactionPending of
 * type deposit, `external` to wallet, in the same append: not spendable), and an operator who
 * checked the payment accepts (TransactionPosted) or declines (TransactionVoided) it once.
 * Each event carries the whole deposit, so a reader of one event alone needs nothing else. The
 * payment's reference is carried as its last 4 characters only.
 */
import type { VerificationStatus } from '../values/verification-status';

export interface DepositData {
  deposit_id: number;
  /** The held transaction (type deposit): pending until decided. */
  transaction_id: number;
  user_id: string;
  /** The app that asked for it. */
  app_id: string | null;
  external_account_id: number;
  /** The last 4 characters of the payment's reference, for the operator to match it: the rest is never stored. */
  reference_last4: string;
  amount: string;
  currency: string;
  requested_at: string;
}

export interface DepositRequested extends DepositData {
  status: Extract<VerificationStatus, 'waiting_for_verification'>;
}

export interface DepositAccepted extends DepositData {
  status: Extract<VerificationStatus, 'accepted'>;
  accepted_at: string;
}

export interface DepositDeclined extends DepositData {
  status: Extract<VerificationStatus, 'declined'>;
  reason: string;
  declined_at: string;
}

/**
 * Internal (never on the feed), appended with DepositRequested: the payment reference's keyed
 * hash, kept so the same payment cannot be reported twice while its deposit waits or after it
 * was accepted (a declined one frees it: the payment may arrive after all).
 */
export interface DepositReferenceRecorded {
  deposit_id: number;
  reference_hash: string;
}

export interface DepositEventMap {
  DepositRequested: DepositRequested;
  DepositReferenceRecorded: DepositReferenceRecorded;
  DepositAccepted: DepositAccepted;
  DepositDeclined: DepositDeclined;
}

export const DEPOSIT_INTERNAL_EVENT_TYPES = ['DepositReferenceRecorded'] as const satisfies readonly (keyof DepositEventMap)[];
