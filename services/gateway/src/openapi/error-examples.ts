/**
 * One real example per error code: the message the gateway or a service actually answers and
 * the details it carries, so /docs shows each status with its own codes instead of one generic
 * body. A new code does not compile until it has its example here.
 */
import type { ErrorBody, ErrorCode } from '@coffer/contracts';

type Example = ErrorBody['error'];

export const ERROR_EXAMPLES: Record<ErrorCode, Example> = {
  VALIDATION_FAILED: {
    code: 'VALIDATION_FAILED',
    message: 'the request is not valid',
    details: { fields: { amount: ['amount must be a positive integer up to 2^63-1 in the currency\'s smallest unit'] } },
  },
  MALFORMED_JSON: { code: 'MALFORMED_JSON', message: 'request body is not valid JSON: Comma is not allowed at the end of an object' },
  UNAUTHENTICATED: { code: 'UNAUTHENTICATED', message: 'the API key is unknown or revoked' },
  FORBIDDEN: { code: 'FORBIDDEN', message: 'achievements belong to an app: call with its API key' },
  NOT_FOUND: { code: 'NOT_FOUND', message: 'event 12 does not exist' },
  METHOD_NOT_ALLOWED: {
    code: 'METHOD_NOT_ALLOWED',
    message: 'DELETE is not allowed on /finance/transaction: it takes POST',
    details: { allow: ['POST'] },
  },
  EVENT_NOT_OPEN: { code: 'EVENT_NOT_OPEN', message: 'event 12 is expired', details: { status: 'expired' } },
  CONFLICT: { code: 'CONFLICT', message: 'achievement first_blackjack already exists with another definition' },
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body must be JSON: send Content-Type: application/json',
  },
  INSUFFICIENT_FUNDS: {
    code: 'INSUFFICIENT_FUNDS',
    message: 'the balance available does not cover this amount',
    details: { available: '85', requested: '100', currency: 'coins' },
  },
  IDEMPOTENCY_KEY_REUSED: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key was used with a different request' },
  LIMIT_EXCEEDED: {
    code: 'LIMIT_EXCEEDED',
    message: 'event 12 holds 10000 pending transactions, the most one event may: close it and open another',
    details: { limit: 'pending_transactions_per_event', maximum: 10000 },
  },
  RATE_LIMITED: {
    code: 'RATE_LIMITED',
    message: 'too many requests from this app: slow down',
    details: { retry_after_seconds: 1 },
  },
  INTERNAL: { code: 'INTERNAL', message: 'internal error' },
  UNAVAILABLE: {
    code: 'UNAVAILABLE',
    message: 'the service did not answer in time: retry with the same Idempotency-Key',
    details: { retry_after_seconds: 1 },
  },
};

/** The `examples` of a response that may carry these codes: one entry per code, named by it. */
export function errorExamples(codes: readonly ErrorCode[]): Record<string, { summary: string; value: ErrorBody }> {
  return Object.fromEntries(codes.map((code) => [code, { summary: code, value: { error: ERROR_EXAMPLES[code] } }]));
}
