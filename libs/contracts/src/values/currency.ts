/** Currency: a code of the realm's currencies; a request without one means the default. */
export type Currency = string;

export const DEFAULT_CURRENCY: Currency = 'coins';

export const CURRENCY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

export const CURRENCY_RULE = '1-32 characters of [a-z0-9_], starting with a letter';

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && CURRENCY_PATTERN.test(value);
}

export function currencyMessage(field = 'currency'): string {
  return `${field} must be ${CURRENCY_RULE}`;
}

export const CURRENCY_SCHEMA = { type: 'string', pattern: CURRENCY_PATTERN.source } as const;
