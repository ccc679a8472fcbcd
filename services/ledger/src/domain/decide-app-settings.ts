/**
 * What an app may do, decided at the ledger (not only at the gateway, so a command that reaches
 * NATS some other way obeys it too): its scopes (app-scopes.ts), its currencies and its daily
 * mint limits, and the admin's ChangeAppSettings that sets them.
 */
import {
  houseAccount,
  refusal,
  type AppSettings,
  type ChangeAppSettings,
  type LedgerCommand,
  type LedgerCommandType,
  type LedgerEvent,
  type Refusal,
} from '@coffer/contracts';
import { COMMAND_SCOPES } from './app-scopes';
import type { LedgerState } from './state';

type Decision = { kind: 'events'; events: LedgerEvent[] } | { kind: 'refused'; refusal: Refusal };

/** The admin changes an app's settings: a field left out keeps its value, null puts back a new app's. */
export function changeAppSettings(state: LedgerState, command: ChangeAppSettings, now: string): Decision {
  const { app_id } = command.data;
  const app = state.apps.get(app_id);
  if (!app) return { kind: 'refused', refusal: refusal('NOT_FOUND', `app ${app_id} does not exist`) };
  const patch = command.data;
  const settings: AppSettings = {
    scopes: patch.scopes === undefined ? app.settings.scopes : patch.scopes === null ? null : [...patch.scopes],
    currencies: patch.currencies === undefined ? app.settings.currencies : patch.currencies === null ? null : [...patch.currencies],
    mint_limit_per_day: patch.mint_limit_per_day === undefined ? app.settings.mint_limit_per_day : { ...(patch.mint_limit_per_day ?? {}) },
  };
  return { kind: 'events', events: [{ type: 'AppSettingsChanged', data: { app_id, ...settings, changed_at: now } }] };
}

/** Null when the app's scopes allow `type`, else the 403. Admin commands are authorized elsewhere. */
export function scopeRefusal(state: LedgerState, type: LedgerCommandType, appId: string): Refusal | null {
  const scope = COMMAND_SCOPES[type];
  if (scope === 'admin') return null;
  const scopes = state.apps.get(appId)?.settings.scopes ?? null;
  if (scopes === null || scopes.includes(scope)) return null;
  return refusal('FORBIDDEN', `this app lacks the scope ${scope}`, { scope });
}

/** Null when the app may use the command's currency (a command without one names none), else the 403. */
export function currencyRefusal(state: LedgerState, command: LedgerCommand, appId: string): Refusal | null {
  const currency = (command.data as { currency?: unknown }).currency;
  if (typeof currency !== 'string') return null;
  const currencies = state.apps.get(appId)?.settings.currencies ?? null;
  if (currencies === null || currencies.includes(currency)) return null;
  return refusal('FORBIDDEN', `this app may not use the currency ${currency}`, { currency });
}

/**
 * Null when crediting `amount` more from the app's house today stays within its daily mint limit
 * (net of its debits today), else the 422 with the limit, what is used and what was asked.
 */
export function mintLimitRefusal(state: LedgerState, appId: string, currency: string, amount: bigint, now: string): Refusal | null {
  const app = state.apps.get(appId);
  const limit = app?.settings.mint_limit_per_day[currency];
  if (limit === undefined) return null;
  const used = mintedToday(state, appId, currency, now);
  if (used + amount <= BigInt(limit)) return null;
  // Named as every LIMIT_EXCEEDED names its limit (limit, maximum), with what is used and what was asked.
  return refusal('LIMIT_EXCEEDED', `this credit would take the app beyond its daily mint limit of ${limit} ${currency} (net of its debits, per UTC day)`, {
    limit: 'mint_limit_per_day',
    maximum: limit,
    used: used.toString(),
    requested: amount.toString(),
    currency,
  });
}

/** What the app minted in `currency` on the UTC day of `now` (ISO), net of its debits. */
export function mintedToday(state: LedgerState, appId: string, currency: string, now: string): bigint {
  const minted = state.apps.get(appId)?.minted.get(currency);
  return minted && minted.day === now.slice(0, 10) ? minted.net : 0n;
}

/** Whether a transaction's debit is the app's house: a credit the app mints. */
export const isMintedBy = (appId: string | null, debitAccount: string): appId is string => appId !== null && debitAccount === houseAccount(appId);
