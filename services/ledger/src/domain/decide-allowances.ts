/**
 * Allowances (seed 003's daily payout): the admin sets an amount per currency and period; an
 * app claims it for a user at most once per period, from the treasury. The claim is an
 * AllowanceClaimed (what refuses a second claim in the period) and a posted grant, in one append.
 */
import {
  refusal,
  userAccount,
  TREASURY,
  type ClaimAllowance,
  type LedgerEvent,
  type Refusal,
  type RemoveAllowance,
  type SetAllowance,
  type TransactionData,
} from '@coffer/contracts';
import { nextPeriodStartMs, periodStartMs } from './allowance-periods';
import { claimsKey, type LedgerState } from './state';

type Decision = { kind: 'events'; events: LedgerEvent[] } | { kind: 'refused'; refusal: Refusal };

const refuse = (...args: Parameters<typeof refusal>): Decision => ({ kind: 'refused', refusal: refusal(...args) });

export function setAllowance(command: SetAllowance, now: string): Decision {
  const { currency, amount, period } = command.data;
  return { kind: 'events', events: [{ type: 'AllowanceSet', data: { currency, amount, period, set_at: now } }] };
}

export function removeAllowance(state: LedgerState, command: RemoveAllowance, now: string): Decision {
  const { currency } = command.data;
  if (!state.allowances.has(currency)) return refuse('NOT_FOUND', `no allowance is set for ${currency}`);
  return { kind: 'events', events: [{ type: 'AllowanceRemoved', data: { currency, removed_at: now } }] };
}

/** A user's claim: once per period (409 CONFLICT with next_claim_at after that). */
export function claimAllowance(state: LedgerState, command: ClaimAllowance, appId: string, now: Date): Decision {
  const { user_id, currency } = command.data;
  const allowance = state.allowances.get(currency);
  if (!allowance) return refuse('NOT_FOUND', `no allowance is set for ${currency}`);
  const period_start = new Date(periodStartMs(allowance.period, now.getTime())).toISOString();
  const claims = state.allowanceClaims.get(claimsKey(currency, allowance.period));
  if (claims?.period_start === period_start && claims.users.has(user_id)) {
    return refuse('CONFLICT', `the ${allowance.period} allowance of ${currency} was already claimed in this period`, {
      next_claim_at: new Date(nextPeriodStartMs(allowance.period, now.getTime())).toISOString(),
      period: allowance.period,
      currency,
    });
  }
  const at = now.toISOString();
  const transaction: TransactionData = {
    transaction_id: state.nextTransactionId,
    event_id: null,
    app_id: appId,
    type: 'grant',
    user_id,
    debit_account: TREASURY,
    credit_account: userAccount(user_id),
    amount: allowance.amount,
    currency,
    description: `${allowance.period} allowance`,
    reverses_transaction_id: null,
    created_at: at,
  };
  return {
    kind: 'events',
    events: [
      {
        type: 'AllowanceClaimed',
        data: { currency, user_id, app_id: appId, period: allowance.period, period_start, amount: allowance.amount, transaction_id: transaction.transaction_id, claimed_at: at },
      },
      { type: 'TransactionPosted', data: { ...transaction, posted_at: at } },
    ],
  };
}
