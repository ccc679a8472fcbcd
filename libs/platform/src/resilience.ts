/**
 * What keeps a service alive across a restart of PostgreSQL or NATS: every pg pool and client
 * has an 'error' listener (an unhandled 'error' event kills the process), every retry waits a
 * bounded, growing delay, and every NATS connection reconnects for ever with a short wait.
 */
import type { Pool, PoolClient } from 'pg';

/** First wait after a failure; doubled each time up to RETRY_MAX_DELAY_MS. */
export const RETRY_FIRST_DELAY_MS = 100;
/** Longest wait between attempts: a dependency that comes back is used again within this. */
export const RETRY_MAX_DELAY_MS = 1000;

/** The wait before attempt `attempt + 1` (attempt counts from 1): bounded, so retries go on for ever at a steady pace. */
export function retryDelayMs(attempt: number, firstMs = RETRY_FIRST_DELAY_MS, maxMs = RETRY_MAX_DELAY_MS): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * pg-pool listens for 'error' on idle clients only: a client checked out (a transaction, a
 * LISTEN, a lock session) whose server goes away emits 'error' with nobody listening, and the
 * process dies ("Unhandled 'error' event … Connection terminated unexpectedly"). Every client
 * of the pool gets a listener for its whole life; the failure itself still reaches whoever
 * awaits the query (it rejects), and pg-pool discards a client that is no longer queryable
 * when it is released.
 */
export function guardPool<T extends Pool>(pool: T, onError: (error: Error) => void = () => undefined): T {
  pool.on('error', onError);
  pool.on('connect', (client: PoolClient) => {
    client.on('error', onError);
  });
  return pool;
}

/** Wait between NATS reconnect attempts: writes resume within about this of NATS coming back. */
export const NATS_RECONNECT_WAIT_MS = 250;

/**
 * Options every NATS connection of Coffer uses: reconnect for ever (the client's default gives
 * up after 10 attempts, about 20 s, and leaves the service disconnected for good), with a
 * short wait, and wait for the first connection too, so a service started while NATS restarts
 * comes up when it is back.
 */
export const NATS_RECONNECT_OPTIONS = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: NATS_RECONNECT_WAIT_MS,
  waitOnFirstConnect: true,
} as const;

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);

/**
 * Whether a PostgreSQL error means the database is away (down, restarting, unreachable), not
 * that a statement was wrong: the caller may retry it later unchanged.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  if (typeof message !== 'string') return false;
  // pg's own errors for a lost or refused connection carry no code, only these messages. (Its
  // timeouts, a pool wait or a query without an answer, are isDatabaseTimeout's, in pool.ts.)
  return message.startsWith('Connection terminated') || message.includes('not queryable');
}
