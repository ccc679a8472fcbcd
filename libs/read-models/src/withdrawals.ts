/**
 * Withdrawals: one row per withdrawal, waiting_for_verification until an operator accepts or
 * declines it. Serves GET /admin/withdrawals. Its money is in transactions (type withdrawal).
 */
import type { WithdrawalReply } from '@coffer/contracts';
import type { Queryable } from './read-model';
import { listVerifications, requestedRow, verificationReadModel, type VerificationFilter } from './verification-requests';

export const WITHDRAWALS_TABLE = 'withdrawals';

export const withdrawals = verificationReadModel({
  table: WITHDRAWALS_TABLE,
  idColumn: 'withdrawal_id',
  requested: (event) => (event.type === 'WithdrawalRequested' ? requestedRow(event.data.withdrawal_id, event.data, null) : null),
  decided: (event) => {
    if (event.type === 'WithdrawalAccepted') return { id: event.data.withdrawal_id, status: 'accepted', decided_at: event.data.accepted_at, reason: null };
    if (event.type === 'WithdrawalDeclined') return { id: event.data.withdrawal_id, status: 'declined', decided_at: event.data.declined_at, reason: event.data.reason };
    return null;
  },
});

export async function listWithdrawals(db: Queryable, filter: VerificationFilter): Promise<{ data: WithdrawalReply[]; next_cursor: string | null }> {
  const { rows, next_cursor } = await listVerifications(db, WITHDRAWALS_TABLE, 'withdrawal_id', filter);
  return {
    data: rows.map(({ id, transaction_id, user_id, external_account_id, amount, currency, status, requested_at, decided_at, reason }) => ({
      withdrawal_id: id,
      transaction_id,
      user_id,
      external_account_id,
      amount,
      currency,
      status,
      requested_at,
      decided_at,
      reason,
    })),
    next_cursor,
  };
}
