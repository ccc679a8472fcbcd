/**
 * Every PostgreSQL pool of the services, built in one place so each gets the same bounds: a
 * statement may run at most `statementTimeoutMs`, a query waits at most `poolWaitMs` for a
 * connection, and the client stops waiting for an answer a little after the statement timeout.
 * A database that is stuck, saturated or unreachable then fails a request (503) instead of
 * hanging it and, behind it, every request that queues for the same pool.
 */
import { Pool, type PoolConfig } from 'pg';
import type { CofferConfig } from './config';
import { guardPool } from './resilience';

export interface PoolBounds {
  statementTimeoutMs: number;
  poolWaitMs: number;
}

/** The configuration's defaults, for pools built outside a service (tests, tools). */
export const DEFAULT_POOL_BOUNDS: PoolBounds = { statementTimeoutMs: 10_000, poolWaitMs: 5_000 };

/**
 * How much longer than the statement timeout the client waits for an answer. The server cancels a
 * slow statement itself and says so within this margin; a server that says nothing by then is
 * frozen or cut off without a reset (a partition, a SIGSTOP), and only the client can give up.
 */
export const QUERY_TIMEOUT_MARGIN_MS = 1_000;
/**
 * Idle time after which TCP keep-alive probes start on a pool connection, so a connection to a
 * server that vanished without a reset is found dead and dropped instead of being handed out.
 */
export const TCP_KEEP_ALIVE_IDLE_MS = 10_000;

/** What a pool's owner chooses: where, how many connections, and libpq `options` if any. */
export type PoolSettings = Pick<PoolConfig, 'connectionString' | 'max' | 'options'>;

/** The bounds the configuration sets (COFFER_PG_STATEMENT_TIMEOUT_MS, COFFER_PG_POOL_WAIT_MS). */
export function poolBoundsOf(config: Pick<CofferConfig, 'pgStatementTimeoutMs' | 'pgPoolWaitMs'>): PoolBounds {
  return { statementTimeoutMs: config.pgStatementTimeoutMs, poolWaitMs: config.pgPoolWaitMs };
}

export function createPool(settings: PoolSettings, bounds: PoolBounds): Pool {
  const pool = new Pool({
    ...settings,
    statement_timeout: bounds.statementTimeoutMs,
    // pg fails the query and, through the pool, discards its connection: the next query gets a fresh one.
    query_timeout: bounds.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    connectionTimeoutMillis: bounds.poolWaitMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: TCP_KEEP_ALIVE_IDLE_MS,
  });
  // Errors surface on the queries that meet them; a client's own 'error' must not kill the process.
  return guardPool(pool);
}

/** pg's own messages (it gives these errors no code). */
const POOL_WAIT_EXCEEDED = 'timeout exceeded when trying to connect';
const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * A statement cancelled by its timeout (SQLSTATE 57014), a pool that had no connection in time,
 * or a server that did not answer within the query timeout: the database is too slow or out of
 * reach right now, which is "retry shortly", never a fault of ours.
 */
export function isDatabaseTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '57014' || message === QUERY_READ_TIMEOUT || (typeof message === 'string' && message.startsWith(POOL_WAIT_EXCEEDED));
}
