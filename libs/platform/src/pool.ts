/**
 * Every PostgreSQL pool of the services, built in one place so each gets the same bounds: a
 * statement may run at most `statementTimeoutMs`, and a query waits at most `poolWaitMs` for a
 * connection. A database that is stuck or saturated then fails a request (503) instead of
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
    connectionTimeoutMillis: bounds.poolWaitMs,
  });
  // Errors surface on the queries that meet them; a client's own 'error' must not kill the process.
  return guardPool(pool);
}

/**
 * A statement cancelled by its timeout (SQLSTATE 57014) or a pool that had no connection in
 * time: the database is too slow right now, which is "retry shortly", never a fault of ours.
 */
export function isDatabaseTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '57014' || (typeof message === 'string' && message.startsWith('timeout exceeded when trying to connect'));
}
