/**
 * Deposits' commands and reply (NATS: PATTERNS.ledgerCommands). An app asks for one
 * (RequestDeposit, the scope table's "withdrawals", as withdrawals); only the admin decides one.
 */
import type { Command } from '../envelope';
import type { VerificationStatus } from '../values/verification-status';

/** The most deposits one user may have waiting at once: bounds the writer's state and snapshots. */
export const MAX_WAITING_DEPOSITS_PER_USER = 5;

/**
 * `reference_hash` is the payment reference's keyed hash (as an external account's): the ledger
 * refuses a payment reported twice (CONFLICT) while its first deposit waits or was accepted.
 */
export type RequestDeposit = Command<
  'RequestDeposit',
  { user_id: string; amount: string; currency: string; external_account_id: number; reference_hash: string; reference_last4: string }
>;
export type AcceptDeposit = Command<'AcceptDeposit', { deposit_id: number }>;
export type DeclineDeposit = Command<'DeclineDeposit', { deposit_id: number; reason: string }>;

export type DepositCommand = RequestDeposit | AcceptDeposit | DeclineDeposit;

export interface DepositReply {
  deposit_id: number;
  transaction_id: number;
  user_id: string;
  external_account_id: number;
  reference_last4: string;
  amount: string;
  currency: string;
  status: VerificationStatus;
  requested_at: string;
  /** When it was accepted or declined; null while waiting. */
  decided_at: string | null;
  /** Why it was declined; null otherwise. */
  reason: string | null;
}
