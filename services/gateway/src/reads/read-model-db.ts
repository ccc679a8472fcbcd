/**
 * The connection the @coffer/read-models queries run on. Before the projector's first start (or
 * before a rebuild added a table) the `coffer_read` views are missing: that is "not ready" (503
 * UNAVAILABLE), not a fault.
 */
import type { Pool } from 'pg';
import type { Queryable } from '@coffer/read-models';
import { ApiError } from '../http/api-error';

export function readModelDb(pool: Pool, what = 'the read models'): Queryable {
  return {
    async query(sql, params) {
      try {
        return await pool.query(sql, params);
      } catch (error) {
        if ((error as { code?: string }).code === '42P01') {
          throw new ApiError('UNAVAILABLE', `${what} are not ready yet (is the projector running?)`);
        }
        throw error;
      }
    },
  };
}
