/**
 * Withdrawals' domain events: a user asks to cash out to a linked external account, the amount
 * is held at once (a TransactionPending of type withdrawal, wallet to `external`, in the same
 * append), and an operator accepts (TransactionPosted) or declines (TransactionVoided) it once.
 * Each event carries the whole withdrawal (who, how much, where, when, why), so a reader of one
 * event alone (the withdrawal.updated webhook) needs nothing else.
 */
import type { VerificationStatus } from '../values/verification-status';

export interface WithdrawalData {
  withdrawal_id: number;
  /** The held transaction (type withdrawal): pending until decided. */
  transaction_id: number;
  user_id: string;
  /** The app that asked for it. */
  app_id: string | null;
  external_account_id: number;
  amount: string;
  currency: string;
  requested_at: string;
}

export interface WithdrawalRequested extends WithdrawalData {
  status: Extract<VerificationStatus, 'waiting_for_verification'>;
}

export interface WithdrawalAccepted extends WithdrawalData {
  status: Extract<VerificationStatus, 'accepted'>;
  accepted_at: string;
}

export interface WithdrawalDeclined extends WithdrawalData {
  status: Extract<VerificationStatus, 'declined'>;
  reason: string;
  declined_at: string;
}

export interface WithdrawalEventMap {
  WithdrawalRequested: WithdrawalRequested;
  WithdrawalAccepted: WithdrawalAccepted;
  WithdrawalDeclined: WithdrawalDeclined;
}
