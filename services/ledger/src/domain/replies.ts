/**
 * What the ledger's commands answer, built from the command and its events (and, for a revoked
 * key, the state after them): the same function whether decided now (reply) or asked again
 * (replay, from the events the command's memory kept). Evolve builds none of it.
 */
import {
  wasPending,
  type DepositReply,
  type ExternalAccountReply,
  type WithdrawalReply,
  type AppReply,
  type FinanceEventReply,
  type KeyReply,
  toUserId,
  type LedgerCommand,
  type LedgerEvent,
  type TransactionData,
  type TransactionReply,
} from '@coffer/contracts';
import { assertInvariant, type RememberedCommand } from '@coffer/decider';
import type { SystemCommand } from './decide';
import type { LedgerState } from './state';

/** What a writer term's start answers: the term it began. */
export interface TermReply {
  term: number;
}

/** Every answer of a ledger command; undefined for a sweep that found nothing to expire. */
export type LedgerAnswer =
  | AppReply
  | KeyReply
  | FinanceEventReply
  | TransactionReply
  | ExternalAccountReply
  | WithdrawalReply
  | DepositReply
  | TermReply
  | undefined;

/**
 * What a command's memory keeps: the events that answer it (without their metadata), in order.
 * The transactions a close or an expiry settles are not among them: the answer is the event's.
 */
export type RememberedEvents = LedgerEvent[];

/**
 * The events of `event`'s command that its answer is built from: all but a settlement inside a
 * finance event, and a refusal's record. Their data is copied: an object made by spreading
 * another and adding a field (as decide makes a TransactionPosted's) takes twice the heap of a
 * plain copy, and a memory holds up to MAX_REMEMBERED_COMMANDS of them.
 */
export function answeringEvents(event: LedgerEvent): RememberedEvents {
  switch (event.type) {
    case 'CommandRefused':
    case 'TransactionVoided':
      return [];
    case 'TransactionPosted':
      return wasPending(event.data) ? [] : [{ type: event.type, data: { ...event.data } }];
    default:
      return [{ type: event.type, data: { ...event.data } } as LedgerEvent];
  }
}

/** The answer to a command decided now: `stateAfter` includes its events. */
export function reply(command: LedgerCommand | SystemCommand, events: readonly LedgerEvent[], stateAfter: LedgerState): LedgerAnswer {
  switch (command.type) {
    case 'StartTerm':
      return { term: only(events, 'WriterTermStarted').data.term };
    case 'RegisterApp': {
      const { app_id, name, registered_at } = only(events, 'AppRegistered').data;
      return appReply(app_id, name, only(events, 'ApiKeyIssued').data.key_id, registered_at);
    }
    case 'IssueApiKey': {
      const { app_id, key_id, issued_at } = only(events, 'ApiKeyIssued').data;
      return keyReply(app_id, key_id, issued_at, null);
    }
    case 'RevokeApiKey': {
      const { app_id, key_id, revoked_at } = only(events, 'ApiKeyRevoked').data;
      // Keys are never forgotten, so the state after any later event still knows when this one was issued.
      const key = stateAfter.apps.get(app_id)?.keys.get(key_id);
      assertInvariant('ledger', key !== undefined, `key ${key_id} revoked but unknown`);
      return keyReply(app_id, key_id, key.created_at, revoked_at);
    }
    case 'OpenEvent': {
      const { event_id, expires_at } = only(events, 'EventOpened').data;
      return financeEventReply(event_id, 'open', { expires_at });
    }
    case 'PingEvent': {
      const { event_id, expires_at } = only(events, 'Pinged').data;
      return financeEventReply(event_id, 'open', { expires_at });
    }
    case 'CloseEvent': {
      const { event_id, closed_at } = only(events, 'EventClosed').data;
      return financeEventReply(event_id, 'closed', { closed_at });
    }
    case 'AbortEvent': {
      const { event_id, aborted_at } = only(events, 'EventAborted').data;
      return financeEventReply(event_id, 'aborted', { aborted_at });
    }
    case 'ExpireEvent': {
      // A sweep of an event extended or settled since it was found due decides nothing.
      const expired = events.find((event) => event.type === 'EventExpired');
      return expired ? financeEventReply(expired.data.event_id, 'expired', {}) : undefined;
    }
    case 'Grant':
    case 'PayReward':
    case 'PostTransaction':
    case 'Transfer':
    case 'ReverseTransaction':
      return transactionOf(events);
    case 'LinkExternalAccount': {
      const { external_account_id, user_id, kind, label, reference_last4, linked_at } = only(events, 'ExternalAccountLinked').data;
      return { external_account_id, user_id, kind, label, reference_last4, created_at: linked_at };
    }
    case 'UnlinkExternalAccount':
      only(events, 'ExternalAccountUnlinked');
      return undefined;
    case 'RequestWithdrawal':
      return withdrawalReply(only(events, 'WithdrawalRequested').data, null, null);
    case 'AcceptWithdrawal': {
      const data = only(events, 'WithdrawalAccepted').data;
      return withdrawalReply(data, data.accepted_at, null);
    }
    case 'DeclineWithdrawal': {
      const data = only(events, 'WithdrawalDeclined').data;
      return withdrawalReply(data, data.declined_at, data.reason);
    }
    case 'RequestDeposit':
      return depositReply(only(events, 'DepositRequested').data, null, null);
    case 'AcceptDeposit': {
      const data = only(events, 'DepositAccepted').data;
      return depositReply(data, data.accepted_at, null);
    }
    case 'DeclineDeposit': {
      const data = only(events, 'DepositDeclined').data;
      return depositReply(data, data.declined_at, data.reason);
    }
  }
}

/** The first answer again, from the events the command's memory kept. */
export function replay(command: LedgerCommand | SystemCommand, remembered: RememberedCommand<RememberedEvents>, state: LedgerState): LedgerAnswer {
  return reply(command, remembered.reply, state);
}

/** A transaction command's one event: pending inside a finance event, else posted at once. */
function transactionOf(events: readonly LedgerEvent[]): TransactionReply {
  const [event] = events;
  assertInvariant('ledger', events.length === 1, `a transaction command with ${events.length} events`);
  if (event.type === 'TransactionPending') return transactionReply(event.data, 'pending');
  assertInvariant('ledger', event.type === 'TransactionPosted', `a transaction command answered by ${event.type}`);
  return transactionReply(event.data, 'posted');
}

/** The command's one event of `type` (decide gives each command exactly the events its answer reads). */
function only<Type extends LedgerEvent['type']>(events: readonly LedgerEvent[], type: Type): Extract<LedgerEvent, { type: Type }> {
  const found = events.filter((event): event is Extract<LedgerEvent, { type: Type }> => event.type === type);
  assertInvariant('ledger', found.length === 1, `a command answered by ${found.length} ${type} events`);
  return found[0];
}

export function appReply(app_id: string, name: string, key_id: string, created_at: string): AppReply {
  return { app_id, name, key_id, created_at };
}

export function keyReply(app_id: string, key_id: string, created_at: string, revoked_at: string | null): KeyReply {
  return { app_id, key_id, created_at, revoked_at };
}

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
    reverses_transaction_id: data.reverses_transaction_id,
    created_at: data.created_at,
  };
  const toUser = toUserId(data);
  if (toUser !== null) reply.to_user_id = toUser;
  return reply;
}

/** A withdrawal as its latest event says (the event carries the whole withdrawal). */
function withdrawalReply(
  data: Extract<LedgerEvent, { type: 'WithdrawalRequested' | 'WithdrawalAccepted' | 'WithdrawalDeclined' }>['data'],
  decided_at: string | null,
  reason: string | null,
): WithdrawalReply {
  const { withdrawal_id, transaction_id, user_id, external_account_id, amount, currency, status, requested_at } = data;
  return { withdrawal_id, transaction_id, user_id, external_account_id, amount, currency, status, requested_at, decided_at, reason };
}

function depositReply(
  data: Extract<LedgerEvent, { type: 'DepositRequested' | 'DepositAccepted' | 'DepositDeclined' }>['data'],
  decided_at: string | null,
  reason: string | null,
): DepositReply {
  const { deposit_id, transaction_id, user_id, external_account_id, reference_last4, amount, currency, status, requested_at } = data;
  return { deposit_id, transaction_id, user_id, external_account_id, reference_last4, amount, currency, status, requested_at, decided_at, reason };
}

export function financeEventReply(
  event_id: number,
  status: FinanceEventReply['status'],
  at: { expires_at?: string; closed_at?: string; aborted_at?: string },
): FinanceEventReply {
  return { event_id, status, ...at };
}
