/**
 * CorrelationId: the caller's X-Correlation-Id, carried into logs and events. A token of id
 * characters (id.ts), longer than an id: callers pass trace ids. Anything else is replaced by
 * the request's own id, never refused.
 */
import { tokenSource } from './id';

export type CorrelationId = string;

export const MAX_CORRELATION_ID_LENGTH = 128;

export const CORRELATION_ID_PATTERN = new RegExp(`^${tokenSource(MAX_CORRELATION_ID_LENGTH)}$`);

export function isCorrelationId(value: unknown): value is CorrelationId {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value);
}

export const CORRELATION_ID_SCHEMA = { type: 'string', pattern: CORRELATION_ID_PATTERN.source } as const;
