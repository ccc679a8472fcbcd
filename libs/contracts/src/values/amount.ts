/**
 * Amount: an exact positive integer in a currency's smallest unit, at most 10^18. A bigint in
 * memory, a decimal string on the wire and in events; never a JS number, which silently rounds
 * above 2^53. A request may give a JSON number (a safe integer) or a string of digits.
 */
export type Amount = bigint;

/** Largest amount one transaction may move: 10^18, so sums of many stay far inside numeric(38). */
export const MAX_AMOUNT = 10n ** 18n;

/** The canonical decimal form: no sign, no leading zero, at most 19 digits. */
export const AMOUNT_PATTERN = /^[1-9][0-9]{0,18}$/;

export const AMOUNT_RULE = 'a positive integer of at most 10^18';

/** Parses a positive exact amount (number or digit string); returns null when it is not one. */
export function parseAmount(value: unknown): Amount | null {
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

/** An amount in the form commands and events carry: its canonical decimal string. */
export function isCanonicalAmount(value: unknown): value is string {
  return typeof value === 'string' && parseAmount(value) !== null;
}

/** For a request field: a JSON number or a string. */
export function amountMessage(field: string): string {
  return `${field} must be ${AMOUNT_RULE} (a JSON number or a string of digits)`;
}

/** For a command field: the gateway sends every amount as its decimal string. */
export function canonicalAmountMessage(field: string): string {
  return `${field} must be ${AMOUNT_RULE}, as a string of digits`;
}

/** The OpenAPI schema of an amount in a request body. */
export const AMOUNT_SCHEMA = {
  oneOf: [
    { type: 'integer' as const, minimum: 1 },
    { type: 'string' as const, pattern: AMOUNT_PATTERN.source },
  ],
};
