/**
 * A statement read from the read models, as the API answers it: complete or refused. More than
 * MAX_STATEMENT_MOVEMENTS movements in the period is 422 LIMIT_EXCEEDED with `split_at`, where
 * the caller can cut it in two. One place for the app's route and the operators' route.
 */
import { MAX_STATEMENT_MOVEMENTS } from '@coffer/contracts';
import type { StatementView } from '@coffer/contracts/http';
import type { StatementPeriod, StatementRows } from '@coffer/read-models';
import { ApiError } from '../http/api-error';

export function statementView(period: StatementPeriod, rows: StatementRows): StatementView {
  if (rows.split_at !== null) {
    throw new ApiError('LIMIT_EXCEEDED', `the period holds more than ${MAX_STATEMENT_MOVEMENTS} movements: ask for [from, split_at) and [split_at, to)`, {
      limit: 'statement_movements',
      maximum: MAX_STATEMENT_MOVEMENTS,
      split_at: rows.split_at,
    });
  }
  return {
    user_id: period.user_id,
    currency: period.currency,
    from: period.from?.toISOString() ?? null,
    to: period.to?.toISOString() ?? null,
    opening_balance: rows.opening_balance,
    movements: rows.movements,
    closing_balance: rows.closing_balance,
  };
}
