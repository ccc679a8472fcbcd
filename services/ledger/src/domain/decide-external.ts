/**
 * decide for the world outside the books: linking external accounts, withdrawals (wallet to
 * `external`) and deposits (`external` to wallet). A request holds its amount at once as a
 * pending transaction of its own type, outside any finance event; an operator's accept posts it
 * and a decline voids it, once. Pure, as decide.ts.
 */
import {
  EXTERNAL,
  MAX_EXTERNAL_ACCOUNTS_PER_USER,
  MAX_WAITING_DEPOSITS_PER_USER,
  MAX_WAITING_WITHDRAWALS_PER_USER,
  parseAmount,
  refusal,
  type DepositData,
  type ExternalAccountCommand,
  type DepositCommand,
  type LedgerEvent,
  type TransactionData,
  type WithdrawalCommand,
  type WithdrawalData,
} from '@coffer/contracts';
import { assertInvariant, type Decision as DeciderDecision } from '@coffer/decider';
import { available, userAccount } from './accounts';
import type { WaitingRequest, WaitingRequests } from './external-state';
import type { RememberedEvents } from './replies';
import { balanceOf, type LedgerState } from './state';

type Decision = DeciderDecision<LedgerEvent, RememberedEvents>;

const events = (...list: LedgerEvent[]): Decision => ({ kind: 'events', events: list });
const refuse = (...args: Parameters<typeof refusal>): Decision => ({ kind: 'refused', refusal: refusal(...args) });

export type ExternalCommand = ExternalAccountCommand | WithdrawalCommand | DepositCommand;

/** The commands an app sends (with its key); the accepts and declines are the admin's alone. */
export const APP_EXTERNAL_COMMANDS = ['LinkExternalAccount', 'UnlinkExternalAccount', 'RequestWithdrawal', 'RequestDeposit'] as const;
export const ADMIN_EXTERNAL_COMMANDS = ['AcceptWithdrawal', 'DeclineWithdrawal', 'AcceptDeposit', 'DeclineDeposit'] as const;

/** `appId`: the calling app (null for the admin). The fields were checked by validate.ts. */
export function decideExternal(state: LedgerState, command: ExternalCommand, appId: string | null, now: string): Decision {
  const external = state.external;
  switch (command.type) {
    case 'LinkExternalAccount': {
      const { user_id, kind, label, reference_hash, reference_last4 } = command.data;
      const linked = external.accountsOf(user_id);
      const same = linked.find((account) => account.reference_hash === reference_hash);
      if (same) {
        return refuse('CONFLICT', `user ${user_id} has this external account linked already`, { external_account_id: same.external_account_id });
      }
      if (linked.length >= MAX_EXTERNAL_ACCOUNTS_PER_USER) {
        return refuse('LIMIT_EXCEEDED', `user ${user_id} has ${MAX_EXTERNAL_ACCOUNTS_PER_USER} external accounts linked, the most one user may: unlink one first`, {
          limit: 'external_accounts_per_user',
          maximum: MAX_EXTERNAL_ACCOUNTS_PER_USER,
        });
      }
      return events({
        type: 'ExternalAccountLinked',
        data: {
          external_account_id: external.nextExternalAccountId,
          user_id,
          app_id: appId,
          kind,
          label: label.trim(),
          reference_hash,
          reference_last4,
          linked_at: now,
        },
      });
    }
    case 'UnlinkExternalAccount': {
      const { user_id, external_account_id } = command.data;
      if (!external.accountOf(user_id, external_account_id)) return accountNotFound(user_id, external_account_id);
      // Its waiting money must be decided first: an operator checking a withdrawal needs to know where it goes.
      if (external.withdrawals.usesAccount(user_id, external_account_id) || external.deposits.usesAccount(user_id, external_account_id)) {
        return refuse('CONFLICT', `external account ${external_account_id} has a withdrawal or deposit waiting for verification: it is unlinked once that is decided`);
      }
      return events({ type: 'ExternalAccountUnlinked', data: { external_account_id, user_id, unlinked_at: now } });
    }
    case 'RequestWithdrawal': {
      const { user_id, external_account_id, currency } = command.data;
      const amount = parseAmount(command.data.amount) as bigint;
      const problem = requestProblem(state, external.withdrawals, 'withdrawals', MAX_WAITING_WITHDRAWALS_PER_USER, user_id, external_account_id);
      if (problem) return problem;
      const funds = available(balanceOf(state, userAccount(user_id), currency));
      if (funds < amount) {
        return refuse('INSUFFICIENT_FUNDS', 'the balance available does not cover this amount', {
          available: funds.toString(),
          requested: amount.toString(),
          currency,
        });
      }
      const data: WithdrawalData = {
        withdrawal_id: external.withdrawals.nextId,
        transaction_id: state.nextTransactionId,
        user_id,
        app_id: appId,
        external_account_id,
        amount: amount.toString(),
        currency,
        requested_at: now,
      };
      return events(
        { type: 'TransactionPending', data: heldTransaction('withdrawal', data, userAccount(user_id), EXTERNAL) },
        { type: 'WithdrawalRequested', data: { ...data, status: 'waiting_for_verification' } },
      );
    }
    case 'RequestDeposit': {
      const { user_id, external_account_id, currency, reference_hash, reference_last4 } = command.data;
      const amount = parseAmount(command.data.amount) as bigint;
      const problem = requestProblem(state, external.deposits, 'deposits', MAX_WAITING_DEPOSITS_PER_USER, user_id, external_account_id);
      if (problem) return problem;
      const reported = external.depositReferences.get(reference_hash);
      if (reported !== undefined) {
        return refuse('CONFLICT', `this payment was reported already, as deposit ${reported}: a payment is credited once`, { deposit_id: reported });
      }
      const data: DepositData = {
        deposit_id: external.deposits.nextId,
        transaction_id: state.nextTransactionId,
        user_id,
        app_id: appId,
        external_account_id,
        reference_last4,
        amount: amount.toString(),
        currency,
        requested_at: now,
      };
      return events(
        { type: 'TransactionPending', data: heldTransaction('deposit', data, EXTERNAL, userAccount(user_id)) },
        { type: 'DepositRequested', data: { ...data, status: 'waiting_for_verification' } },
        { type: 'DepositReferenceRecorded', data: { deposit_id: data.deposit_id, reference_hash } },
      );
    }
    case 'AcceptWithdrawal':
    case 'DeclineWithdrawal': {
      const waiting = waitingOne(external.withdrawals, 'withdrawal', command.data.withdrawal_id);
      if ('kind' in waiting) return waiting;
      const data = withdrawalData(waiting);
      if (command.type === 'AcceptWithdrawal') {
        return events(posted(state, waiting, now), { type: 'WithdrawalAccepted', data: { ...data, status: 'accepted', accepted_at: now } });
      }
      const reason = command.data.reason.trim();
      return events(voided(state, waiting, now), { type: 'WithdrawalDeclined', data: { ...data, status: 'declined', reason, declined_at: now } });
    }
    case 'AcceptDeposit':
    case 'DeclineDeposit': {
      const waiting = waitingOne(external.deposits, 'deposit', command.data.deposit_id);
      if ('kind' in waiting) return waiting;
      const data = depositData(waiting);
      if (command.type === 'AcceptDeposit') {
        return events(posted(state, waiting, now), { type: 'DepositAccepted', data: { ...data, status: 'accepted', accepted_at: now } });
      }
      const reason = command.data.reason.trim();
      return events(voided(state, waiting, now), { type: 'DepositDeclined', data: { ...data, status: 'declined', reason, declined_at: now } });
    }
  }
}

function accountNotFound(userId: string, id: number): Decision {
  return refuse('NOT_FOUND', `external account ${id} of user ${userId} does not exist`);
}

/** A new request's account must be the user's, and the user below the cap of waiting ones. */
function requestProblem(state: LedgerState, waiting: WaitingRequests, what: string, maximum: number, userId: string, accountId: number): Decision | null {
  if (!state.external.accountOf(userId, accountId)) return accountNotFound(userId, accountId);
  if (waiting.countOf(userId) >= maximum) {
    return refuse('LIMIT_EXCEEDED', `user ${userId} has ${maximum} ${what} waiting for verification, the most one user may`, {
      limit: `waiting_${what}_per_user`,
      maximum,
    });
  }
  return null;
}

/** A held transaction of a withdrawal or deposit: pending outside any finance event. */
function heldTransaction(
  type: 'withdrawal' | 'deposit',
  request: WithdrawalData | DepositData,
  debit: TransactionData['debit_account'],
  credit: TransactionData['credit_account'],
): TransactionData {
  return {
    transaction_id: request.transaction_id,
    event_id: null,
    app_id: request.app_id,
    type,
    user_id: request.user_id,
    debit_account: debit,
    credit_account: credit,
    amount: request.amount,
    currency: request.currency,
    description: null,
    reverses_transaction_id: null,
    created_at: request.requested_at,
  };
}

/** The waiting request, or the refusal: decided already (409: it was given, so it existed) or never given (404). */
function waitingOne(requests: WaitingRequests, what: string, id: number): WaitingRequest | Decision {
  const waiting = requests.byId.get(id);
  if (waiting) return waiting;
  if (id < requests.nextId) return refuse('CONFLICT', `${what} ${id} is decided already`);
  return refuse('NOT_FOUND', `${what} ${id} does not exist`);
}

function pendingData(state: LedgerState, id: number): TransactionData {
  const data = state.pendingTransactions.get(id);
  assertInvariant('ledger', data !== undefined, `pending transaction ${id} does not exist`);
  return data;
}

const posted = (state: LedgerState, waiting: WaitingRequest, now: string): LedgerEvent => ({
  type: 'TransactionPosted',
  data: { ...pendingData(state, waiting.transaction_id), posted_at: now },
});

const voided = (state: LedgerState, waiting: WaitingRequest, now: string): LedgerEvent => ({
  type: 'TransactionVoided',
  data: { ...pendingData(state, waiting.transaction_id), voided_at: now, reason: 'declined' },
});

export function withdrawalData(request: WaitingRequest): WithdrawalData {
  const { id, transaction_id, user_id, app_id, external_account_id, amount, currency, requested_at } = request;
  return { withdrawal_id: id, transaction_id, user_id, app_id, external_account_id, amount, currency, requested_at };
}

export function depositData(request: WaitingRequest): DepositData {
  const { id, transaction_id, user_id, app_id, external_account_id, amount, currency, requested_at } = request;
  return { deposit_id: id, transaction_id, user_id, app_id, external_account_id, reference_last4: request.reference_last4 ?? '', amount, currency, requested_at };
}
