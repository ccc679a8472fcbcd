/**
 * PositiveId: finance event and transaction ids. A positive integer a JSON number holds
 * exactly (below 2^53). In a path or a query string it is plain decimal digits: `1e3`, `0x10`
 * or `1.0` are refused, though Number() would take them.
 */
export type PositiveId = number;

/** Largest id a JSON number holds exactly: finance event and transaction ids stay below it. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** An id written in a path, a query string or a cursor: at most 16 digits, no leading zero. */
export const POSITIVE_ID_TEXT_PATTERN = /^[1-9][0-9]{0,15}$/;

export const POSITIVE_ID_RULE = 'a positive integer below 2^53';

export function isPositiveId(value: unknown): value is PositiveId {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** The id a path or query string spells in decimal digits, or null. */
export function parsePositiveIdText(text: string): PositiveId | null {
  if (!POSITIVE_ID_TEXT_PATTERN.test(text)) return null;
  const value = Number(text);
  return isPositiveId(value) ? value : null;
}

export function positiveIdMessage(field: string): string {
  return `${field} must be ${POSITIVE_ID_RULE}`;
}

export const POSITIVE_ID_SCHEMA = { type: 'integer', minimum: 1 } as const;
