/**
 * The daily figures of GET /admin/stats/daily: per day (UTC), app and currency, the money of the
 * daily totals read model (minted, absorbed, transferred) with the day's active users and
 * unlocks, counted as the notifier's daily.summary counts them (from transactions and
 * achievement_progress) at read time: a distinct count of users cannot be summed batch by batch
 * into daily_totals, so that table keeps its shape.
 *
 * Unlocks belong to an app, not a currency: they are on each of the app's rows of the day, and a
 * day of an app with unlocks but no money has one row with currency null.
 */
import { READ_SCHEMA, type Queryable } from './read-model';
import { DAILY_TOTALS_TABLE } from './daily-totals';
import { TRANSACTIONS_TABLE } from './transactions';
import { ACHIEVEMENT_PROGRESS_TABLE } from './achievement-progress';

/** The most rows one answer holds: beyond it the caller narrows the range, app or currency. */
export const MAX_DAILY_STATS_ROWS = 5_000;

export interface DailyStatsFilter {
  /** The realm whose figures these are. */
  realm: string;
  /** Days, YYYY-MM-DD, both included. */
  from: string;
  to: string;
  app_id?: string;
  currency?: string;
}

export interface DailyStats {
  day: string;
  app_id: string;
  currency: string | null;
  minted: string;
  absorbed: string;
  transferred: string;
  active_users: number;
  unlocks: number;
}

/** The rows, by day, app and currency; null when there are more than MAX_DAILY_STATS_ROWS. */
export async function dailyStats(db: Queryable, filter: DailyStatsFilter): Promise<DailyStats[] | null> {
  const params: unknown[] = [filter.from, filter.to];
  const realm = `AND realm = $${params.push(filter.realm)}`;
  const app = filter.app_id === undefined ? '' : `AND app_id = $${params.push(filter.app_id)}`;
  const currency = filter.currency === undefined ? '' : `AND currency = $${params.push(filter.currency)}`;
  const limit = params.push(MAX_DAILY_STATS_ROWS + 1);
  const range = `>= $1::date::timestamp AT TIME ZONE 'UTC' AND %s < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'`;
  const { rows } = await db.query(
    `WITH money AS (
       SELECT day, app_id, currency, minted, absorbed, transferred FROM ${READ_SCHEMA}.${DAILY_TOTALS_TABLE}
        WHERE day BETWEEN $1::date AND $2::date ${realm} ${app} ${currency}),
     users AS (
       SELECT (created_at AT TIME ZONE 'UTC')::date AS day, coalesce(app_id, '') AS app_id, currency, count(DISTINCT user_id)::int AS n
         FROM ${READ_SCHEMA}.${TRANSACTIONS_TABLE}
        WHERE created_at ${range.replace('%s', 'created_at')} ${realm} ${app} ${currency}
        GROUP BY 1, 2, 3),
     unlocks AS (
       SELECT (unlocked_at AT TIME ZONE 'UTC')::date AS day, app_id, count(*)::int AS n
         FROM ${READ_SCHEMA}.${ACHIEVEMENT_PROGRESS_TABLE}
        WHERE unlocked_at ${range.replace('%s', 'unlocked_at')} ${realm} ${app}
        GROUP BY 1, 2)
     SELECT to_char(coalesce(m.day, x.day), 'YYYY-MM-DD') AS day, coalesce(m.app_id, x.app_id) AS app_id, m.currency,
            coalesce(m.minted, 0)::text AS minted, coalesce(m.absorbed, 0)::text AS absorbed, coalesce(m.transferred, 0)::text AS transferred,
            coalesce(u.n, 0) AS active_users, coalesce(x.n, 0) AS unlocks
       FROM money m
       LEFT JOIN users u ON u.day = m.day AND u.app_id = m.app_id AND u.currency = m.currency
       FULL JOIN unlocks x ON x.day = m.day AND x.app_id = m.app_id
      ${filter.currency === undefined ? '' : 'WHERE m.currency IS NOT NULL'}
      ORDER BY 1, 2, 3 NULLS LAST
      LIMIT $${limit}`,
    params,
  );
  if (rows.length > MAX_DAILY_STATS_ROWS) return null;
  return rows as DailyStats[];
}
