/**
 * Withdrawals' commands and reply (NATS: PATTERNS.ledgerCommands). An app asks for one
 * (RequestWithdrawal, the scope table's "withdrawals"); only the admin decides one.
 */
import type { Command } from '../envelope';
import type { VerificationStatus } from '../values/verification-status';

/** The most withdrawals one user may have waiting at once: bounds the writer's state and snapshots. */
export const MAX_WAITING_WITHDRAWALS_PER_USER = 5;

export type RequestWithdrawal = Command<'RequestWithdrawal', { user_id: string; amount: string; currency: string; external_account_id: number }>;
export type AcceptWithdrawal = Command<'AcceptWithdrawal', { withdrawal_id: number }>;
export type DeclineWithdrawal = Command<'DeclineWithdrawal', { withdrawal_id: number; reason: string }>;

export type WithdrawalCommand = RequestWithdrawal | AcceptWithdrawal | DeclineWithdrawal;

export interface WithdrawalReply {
  withdrawal_id: number;
  transaction_id: number;
  user_id: string;
  external_account_id: number;
  amount: string;
  currency: string;
  status: VerificationStatus;
  requested_at: string;
  /** When it was accepted or declined; null while waiting. */
  decided_at: string | null;
  /** Why it was declined; null otherwise. */
  reason: string | null;
}
