/**
 * Deposits: one row per deposit, waiting_for_verification until an operator accepts or
 * declines it, with the last 4 characters of its payment's reference for the operator to match.
 * Serves GET /admin/deposits. Its money is in transactions (type deposit).
 */
import type { DepositReply } from '@coffer/contracts';
import type { Queryable } from './read-model';
import { listVerifications, requestedRow, verificationReadModel, type VerificationFilter } from './verification-requests';

export const DEPOSITS_TABLE = 'deposits';

export const deposits = verificationReadModel({
  table: DEPOSITS_TABLE,
  idColumn: 'deposit_id',
  requested: (event) => (event.type === 'DepositRequested' ? requestedRow(event.data.deposit_id, event.data, event.data.reference_last4) : null),
  decided: (event) => {
    if (event.type === 'DepositAccepted') return { id: event.data.deposit_id, status: 'accepted', decided_at: event.data.accepted_at, reason: null };
    if (event.type === 'DepositDeclined') return { id: event.data.deposit_id, status: 'declined', decided_at: event.data.declined_at, reason: event.data.reason };
    return null;
  },
});

export async function listDeposits(db: Queryable, filter: VerificationFilter): Promise<{ data: DepositReply[]; next_cursor: string | null }> {
  const { rows, next_cursor } = await listVerifications(db, DEPOSITS_TABLE, 'deposit_id', filter);
  return {
    data: rows.map(({ id, transaction_id, user_id, external_account_id, reference_last4, amount, currency, status, requested_at, decided_at, reason }) => ({
      deposit_id: id,
      transaction_id,
      user_id,
      external_account_id,
      reference_last4: reference_last4 ?? '',
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
