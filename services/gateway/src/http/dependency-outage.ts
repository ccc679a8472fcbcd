import { isDatabaseTimeout, isDatabaseUnavailable } from '@coffer/platform';
import { ApiError } from './api-error';

/**
 * How long a client is told to wait after a 503 (Retry-After, whole seconds). A restarting
 * dependency is usually back within a few seconds and every service reconnects within about
 * one, so one second keeps retries prompt without turning them into a flood.
 */
export const RETRY_AFTER_SECONDS = 1;

/**
 * A failure of a dependency rather than of the request or of our code: PostgreSQL away (down,
 * restarting, out of connections, too slow) or NATS away. API.md: 503 UNAVAILABLE, "retry",
 * never a 500.
 */
export function dependencyOutage(error: unknown): ApiError | undefined {
  if (isDatabaseUnavailable(error) || isDatabaseTimeout(error)) {
    return new ApiError('UNAVAILABLE', 'the database is not available: retry shortly');
  }
  if (isNatsFailure(error)) return new ApiError('UNAVAILABLE', 'the message bus is not available: retry shortly');
  return undefined;
}

/** nats.js's codes for a connection that is down or a request nobody answered (others are our own faults). */
const NATS_OUTAGE_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'DISCONNECT', 'TIMEOUT', '503']);

function isNatsFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'NatsError' && NATS_OUTAGE_CODES.has(String((error as { code?: unknown }).code));
}
