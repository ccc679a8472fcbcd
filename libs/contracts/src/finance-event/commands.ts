/**
 * The finance event's commands, queries and replies (NATS: PATTERNS.ledgerCommands and
 * PATTERNS.ledgerQueries). A finance event is a round of a game: transactions in it stay pending
 * until it closes (they post) or expires without a ping (they are voided). Not to be confused
 * with a stored domain event: the wire keeps the API's words (`OpenEvent`, `event_id`).
 */
import type { Command } from '../envelope';
import type { TransactionReply } from '../finance-transaction/commands';

export type OpenEvent = Command<'OpenEvent', { description: string | null }>;

export type PingEvent = Command<'PingEvent', { event_id: number }>;

export type CloseEvent = Command<'CloseEvent', { event_id: number }>;

/** Ends an open finance event at once, voiding what it holds pending, as an expiry would (the round was cancelled). */
export type AbortEvent = Command<'AbortEvent', { event_id: number }>;

export type FinanceEventCommand = OpenEvent | PingEvent | CloseEvent | AbortEvent;

/** The finance event's details, answered by the ledger while it is open. */
export type GetFinanceEvent = { type: 'GetEvent'; event_id: number; app_id: string | null };

/** Where a finance event stands: open until it closes, expires or is aborted. */
export const FINANCE_EVENT_STATUSES = ['open', 'closed', 'expired', 'aborted'] as const;
export type FinanceEventStatus = (typeof FINANCE_EVENT_STATUSES)[number];

export interface FinanceEventReply {
  event_id: number;
  status: FinanceEventStatus;
  expires_at?: string;
  closed_at?: string;
  aborted_at?: string;
}

export interface FinanceEventDetails {
  event_id: number;
  app_id: string;
  description: string | null;
  status: FinanceEventStatus;
  opened_at: string;
  last_ping_at: string | null;
  expires_at: string;
  closed_at: string | null;
  expired_at: string | null;
  aborted_at: string | null;
  transactions: TransactionReply[];
}

/**
 * GetEvent's answer for a closed, expired or aborted finance event: the ledger keeps only its owner and
 * ending, and its details (final from then on) are in the read models once they reach `position`.
 */
export interface SettledEventPointer {
  settled: true;
  event_id: number;
  status: Exclude<FinanceEventStatus, 'open'>;
  position: string;
}

export type GetEventReply = FinanceEventDetails | SettledEventPointer;

export function isSettledEventPointer(reply: GetEventReply): reply is SettledEventPointer {
  return (reply as SettledEventPointer).settled === true;
}
