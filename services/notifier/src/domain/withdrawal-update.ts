/**
 * The `withdrawal.updated` notification's data: the withdrawal as the API answers it
 * (WithdrawalReply: GET /admin/withdrawals' shape and statuses), built field by field from the
 * event so nothing else it may ever carry (a reference, its hash) reaches a webhook. Pure.
 */
import type { WithdrawalReply } from '@coffer/contracts';

export const WITHDRAWAL_EVENT_TYPES = ['WithdrawalRequested', 'WithdrawalAccepted', 'WithdrawalDeclined'] as const;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function isWithdrawalEvent(type: string): boolean {
  return (WITHDRAWAL_EVENT_TYPES as readonly string[]).includes(type);
}

/** The update an event of WITHDRAWAL_EVENT_TYPES tells (its data is the whole withdrawal, events.ts). */
export function withdrawalUpdate(data: Record<string, unknown>): WithdrawalReply {
  return {
    withdrawal_id: data.withdrawal_id as number,
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
