/**
 * The webhook outbox's backlog on the notifier's COFFER_METRICS_PORT, read from its tables at
 * scrape time (one query per scrape, shared by its gauges, on the pending rows' partial index):
 * deliveries waiting and the age of the oldest. Failed deliveries are left out: counting them
 * would scan the whole delivery log at every scrape.
 */
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { scrapeGauges } from '@coffer/platform';
import { NOTIFIER_SCHEMA } from '../store/schema';

interface OutboxFigures {
  pending: number;
  oldestPendingSeconds: number;
}

/** Results younger than this are shared: prom-client collects every gauge of a scrape at once. */
const SHARE_MS = 250;

export function registerNotifierMetrics(registry: Registry, pool: Pool): void {
  const gauge = scrapeGauges(registry, () => measure(pool), SHARE_MS);
  gauge('coffer_webhook_outbox_pending', 'Webhook deliveries waiting to be delivered (first try or a retry)', (f) => f.pending);
  gauge('coffer_webhook_outbox_oldest_pending_seconds', 'Age of the oldest delivery still waiting (0 when none)', (f) => f.oldestPendingSeconds);
}

async function measure(pool: Pool): Promise<OutboxFigures | undefined> {
  try {
    const { rows } = await pool.query(
      `SELECT count(*)::float8 AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM ${NOTIFIER_SCHEMA}.outbox WHERE status = 'pending'`,
    );
    return { pending: rows[0].pending, oldestPendingSeconds: rows[0].oldest };
  } catch {
    return undefined; // the schema is made at start; a database away leaves the gauges unset rather than failing the scrape
  }
}
