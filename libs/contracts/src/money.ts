/**
 * Amounts are exact integers in a currency's smallest unit: bigint in memory, decimal strings
 * on the wire and in events. Never a JS number, which silently rounds above 2^53.
 */
export const DEFAULT_CURRENCY = 'coins';

/** Largest amount one transaction may move: 10^18, so sums of many stay far inside numeric(38). */
export const MAX_AMOUNT = 10n ** 18n;

export const AMOUNT_PATTERN = /^[1-9][0-9]{0,18}$/;
export const CURRENCY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Parses a positive exact amount (number or digit string); returns null when it is not one. */
export function parseAmount(value: unknown): bigint | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return null;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    return null;
  }
  if (!AMOUNT_PATTERN.test(text)) return null;
  const amount = BigInt(text);
  return amount > 0n && amount <= MAX_AMOUNT ? amount : null;
}

/** Normalises a user id given as JSON string or exact integer to its string form, or null. */
export function parseUserId(value: unknown): string | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  }
  if (typeof value === 'string' && USER_ID_PATTERN.test(value)) return value;
  return null;
}
