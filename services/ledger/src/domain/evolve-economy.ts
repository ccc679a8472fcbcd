/**
 * evolve's cases for app settings, the daily mint counter and allowances (see evolve.ts, which
 * dispatches here). No clock: a day is the UTC date of the transaction's created_at.
 */
import type { AllowanceClaimed, AllowanceRemoved, AllowanceSet, AppSettingsChanged, TransactionData } from '@coffer/contracts';
import { assertInvariant } from '@coffer/decider';
import { isMintedBy } from './decide-app-settings';
import { houseAccount } from './accounts';
import { claimsKey, type LedgerState } from './state';

export function applyAppSettings(state: LedgerState, data: AppSettingsChanged): void {
  const app = state.apps.get(data.app_id);
  assertInvariant('ledger', app !== undefined, `app ${data.app_id} does not exist`);
  app.settings = { scopes: data.scopes, currencies: data.currencies, mint_limit_per_day: data.mint_limit_per_day };
}

/**
 * Counts a transaction made now toward its app's mint of the day (sign 1), or takes back a
 * voided one (sign -1): a credit from the house mints, a debit to it takes back. A pending
 * transaction counts when it is made, so a credit held in an open event cannot escape the limit;
 * a void gives its amount back only on the day it was made (an earlier day is over).
 */
export function countMint(state: LedgerState, data: TransactionData, sign: 1n | -1n): void {
  if (data.app_id === null) return;
  const minted = isMintedBy(data.app_id, data.debit_account);
  if (!minted && data.credit_account !== houseAccount(data.app_id)) return;
  const app = state.apps.get(data.app_id);
  if (!app) return;
  const day = data.created_at.slice(0, 10);
  const delta = (minted ? 1n : -1n) * sign * BigInt(data.amount);
  const today = app.minted.get(data.currency);
  if (today && today.day === day) today.net += delta;
  else if (sign === 1n && (!today || today.day < day)) app.minted.set(data.currency, { day, net: delta });
}

export function applyAllowanceSet(state: LedgerState, data: AllowanceSet): void {
  state.allowances.set(data.currency, { amount: data.amount, period: data.period, set_at: data.set_at });
}

export function applyAllowanceRemoved(state: LedgerState, data: AllowanceRemoved): void {
  state.allowances.delete(data.currency);
}

/** Remembers the claimant for the period; a claim in the next period drops the claimants of the one before. */
export function applyAllowanceClaimed(state: LedgerState, data: AllowanceClaimed): void {
  const key = claimsKey(data.currency, data.period);
  const claims = state.allowanceClaims.get(key);
  if (claims && claims.period_start === data.period_start) {
    assertInvariant('ledger', !claims.users.has(data.user_id), `${data.user_id} claimed the ${data.currency} allowance twice in a period`);
    claims.users.add(data.user_id);
  } else {
    state.allowanceClaims.set(key, { period_start: data.period_start, users: new Set([data.user_id]) });
  }
}
