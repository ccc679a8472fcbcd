/**
 * `withdrawal.updated` and `deposit.updated`: each state change of a withdrawal or a deposit,
 * its data the operation as the API answers it (WithdrawalReply / DepositReply: the shape and
 * statuses of GET /admin/withdrawals and /admin/deposits), built field by field from the event so
 * nothing else it may ever carry (a reference, its hash) reaches a webhook. Pure.
 */
import type { DepositReply, WebhookEventType, WithdrawalReply } from '@coffer/contracts';

export const VERIFICATION_UPDATE_TYPES = {
  WithdrawalRequested: 'withdrawal.updated',
  WithdrawalAccepted: 'withdrawal.updated',
  WithdrawalDeclined: 'withdrawal.updated',
  DepositRequested: 'deposit.updated',
  DepositAccepted: 'deposit.updated',
  DepositDeclined: 'deposit.updated',
} as const satisfies Record<string, WebhookEventType>;

export function isVerificationUpdate(type: string): type is keyof typeof VERIFICATION_UPDATE_TYPES {
  return Object.prototype.hasOwnProperty.call(VERIFICATION_UPDATE_TYPES, type);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** What the withdrawal and the deposit have in common (their events carry the whole operation, events.ts). */
function common(data: Record<string, unknown>): Omit<WithdrawalReply, 'withdrawal_id'> {
  return {
    transaction_id: data.transaction_id as number,
    user_id: data.user_id as string,
    external_account_id: data.external_account_id as number,
    amount: data.amount as string,
    currency: data.currency as string,
    status: data.status as WithdrawalReply['status'],
    requested_at: data.requested_at as string,
    decided_at: text(data.accepted_at) ?? text(data.declined_at),
    reason: text(data.reason),
  };
}

/** The update an event of VERIFICATION_UPDATE_TYPES tells. */
export function verificationUpdate(type: keyof typeof VERIFICATION_UPDATE_TYPES, data: Record<string, unknown>): WithdrawalReply | DepositReply {
  if (VERIFICATION_UPDATE_TYPES[type] === 'withdrawal.updated') return { withdrawal_id: data.withdrawal_id as number, ...common(data) };
  // Only the last 4 characters of a payment's reference are ever stored, and the API answers them.
  return { deposit_id: data.deposit_id as number, reference_last4: data.reference_last4 as string, ...common(data) };
}
