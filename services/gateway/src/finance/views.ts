/**
 * Ledger replies shaped as API.md shows them: exactly its fields, user ids and amounts as
 * strings (exact at any size), whatever else the ledger's reply carries.
 */
import type { BalanceReply, FinanceEventDetails, FinanceEventReply, TransactionReply } from '@coffer/contracts';
import type {
  BalanceView,
  FinanceEventAborted,
  FinanceEventClosed,
  FinanceEventOpen,
  FinanceEventView,
  TransactionView,
  TransferView,
} from '@coffer/contracts/http';

export function transactionView(tx: TransactionReply): TransactionView {
  return {
    transaction_id: tx.transaction_id,
    event_id: tx.event_id ?? null,
    user_id: String(tx.user_id),
    ...(tx.to_user_id !== undefined ? { to_user_id: String(tx.to_user_id) } : {}),
    type: tx.type,
    amount: String(tx.amount),
    currency: tx.currency,
    status: tx.status,
    description: tx.description ?? null,
    reverses_transaction_id: tx.reverses_transaction_id ?? null,
    created_at: tx.created_at,
  };
}

export function transferView(tx: TransactionReply): TransferView {
  return {
    transaction_id: tx.transaction_id,
    from_user_id: String(tx.user_id),
    to_user_id: String(tx.to_user_id),
    type: 'transfer',
    amount: String(tx.amount),
    currency: tx.currency,
    status: tx.status,
    description: tx.description ?? null,
    created_at: tx.created_at,
  };
}

/** Open and ping answer the event's deadline. */
export function openEventView(event: FinanceEventReply): FinanceEventOpen {
  return { event_id: event.event_id, status: event.status, expires_at: String(event.expires_at) };
}

export function closedEventView(event: FinanceEventReply): FinanceEventClosed {
  return { event_id: event.event_id, status: event.status, closed_at: String(event.closed_at) };
}

export function abortedEventView(event: FinanceEventReply): FinanceEventAborted {
  return { event_id: event.event_id, status: event.status, aborted_at: String(event.aborted_at) };
}

export function eventDetailsView(event: FinanceEventDetails): FinanceEventView {
  return {
    event_id: event.event_id,
    app_id: event.app_id,
    status: event.status,
    description: event.description ?? null,
    opened_at: event.opened_at,
    last_ping_at: event.last_ping_at ?? null,
    expires_at: event.expires_at,
    closed_at: event.closed_at ?? null,
    expired_at: event.expired_at ?? null,
    aborted_at: event.aborted_at ?? null,
    transactions: event.transactions.map(transactionView),
  };
}

export function balanceView(balance: BalanceReply): BalanceView {
  return {
    user_id: String(balance.user_id),
    balances: balance.balances.map((line) => ({
      currency: line.currency,
      available: String(line.available),
      posted: String(line.posted),
      pending_debit: String(line.pending_debit),
      pending_credit: String(line.pending_credit),
    })),
  };
}
