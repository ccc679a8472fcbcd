import { userIdOfAccount, type FinanceEventReply, type TransactionData, type TransactionReply } from '@coffer/contracts';

export function transactionReply(data: TransactionData, status: TransactionReply['status']): TransactionReply {
  const reply: TransactionReply = {
    transaction_id: data.transaction_id,
    event_id: data.event_id,
    user_id: data.user_id,
    type: data.type,
    amount: data.amount,
    currency: data.currency,
    status,
    description: data.description,
    created_at: data.created_at,
  };
  if (data.type === 'transfer') reply.to_user_id = userIdOfAccount(data.credit_account) ?? undefined;
  return reply;
}

export function eventReply(
  event_id: number,
  status: FinanceEventReply['status'],
  at: { expires_at?: string; closed_at?: string },
): FinanceEventReply {
  return { event_id, status, ...at };
}
