/**
 * Validated request fields in the exact form commands and request hashes use: user ids and
 * amounts as strings (so `15` and `"15"` are the same request), defaults filled in.
 */
import { DEFAULT_CURRENCY, parseAmount, parseUserId } from '@coffer/contracts';

export function exactUserId(value: string | number): string {
  const userId = parseUserId(value);
  if (userId === null) throw new Error(`user id ${String(value)} reached a handler unvalidated`);
  return userId;
}

export function exactAmount(value: string | number): string {
  const amount = parseAmount(value);
  if (amount === null) throw new Error(`amount ${String(value)} reached a handler unvalidated`);
  return amount.toString();
}

export function currencyOrDefault(currency: string | null | undefined): string {
  return currency ?? DEFAULT_CURRENCY;
}

export function descriptionOrNull(description: string | null | undefined): string | null {
  return description ?? null;
}
