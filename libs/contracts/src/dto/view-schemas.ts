/**
 * What the response classes' OpenAPI schemas say alike (not exported from '@coffer/contracts/http').
 * Amounts and balances are JSON strings of digits: exact at any size, where a JSON number would
 * round above 2^53. User ids are always strings.
 */
export const EXACT = 'JSON string of digits, so it stays exact at any size';
export const TIME = { type: 'string', format: 'date-time' } as const;
