/**
 * Ledger replies shaped as API.md shows them: exactly its fields, whatever else the ledger's
 * reply carries. The replies already hold user ids and amounts as decimal strings (exact at any
 * size: the ledger writes bigints with toString, the read models select numeric::text), so the
 * views copy them as they are.
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
    user_id: tx.user_id,
    ...(tx.to_user_id !== undefined ? { to_user_id: tx.to_user_id } : {}),
    type: tx.type,
    amount: tx.amount,
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
    from_user_id: tx.user_id,
    to_user_id: present(tx.to_user_id, 'a transfer\'s to_user_id'),
    type: 'transfer',
    amount: tx.amount,
    currency: tx.currency,
    status: tx.status,
    description: tx.description ?? null,
    created_at: tx.created_at,
  };
}

/** Open and ping answer the event's deadline. */
export function openEventView(event: FinanceEventReply): FinanceEventOpen {
  return { event_id: event.event_id, status: event.status, expires_at: present(event.expires_at, 'an open event\'s expires_at') };
}

export function closedEventView(event: FinanceEventReply): FinanceEventClosed {
  return { event_id: event.event_id, status: event.status, closed_at: present(event.closed_at, 'a closed event\'s closed_at') };
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
    user_id: balance.user_id,
    balances: balance.balances.map((line) => ({
      currency: line.currency,
      available: line.available,
      posted: line.posted,
      pending_debit: line.pending_debit,
      pending_credit: line.pending_credit,
    })),
  };
}

/**
 * A field the reply type leaves optional because one reply type serves several commands
 * (FinanceEventReply: open/ping carry expires_at, close carries closed_at; TransactionReply:
 * only a transfer carries to_user_id), but this view's command always sets. Missing, it is our
 * fault, not the caller's: a 500 that names it, rather than the text "undefined" in a 2xx body.
 */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the ledger's reply lacks ${what}`);
  return value;
}
