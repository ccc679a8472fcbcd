import type { Pool } from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { scrapeGauges } from '@coffer/platform';

interface ProjectionFigures {
  position: number;
  projected: number;
  lagEvents: number;
  lagSeconds: number;
}

/** Results younger than this are shared: prom-client collects every gauge of a scrape at once. */
const SHARE_MS = 250;

/**
 * Read-model lag and throughput, computed at scrape time from the serving generation's
 * checkpoint and the PostgreSQL event store (with EventStoreDB as the store, only the
 * checkpoint-side figures are exported).
 */
export function registerProjectionMetrics(registry: Registry, pool: Pool): true {
  const gauge = scrapeGauges(registry, () => measure(pool), SHARE_MS);
  gauge('coffer_projection_position', 'Global position of the last event in the read models', (f) => f.position);
  gauge(
    'coffer_projection_events_projected',
    'Events folded into the serving read models since they were built (use rate() for throughput)',
    (f) => f.projected,
  );
  gauge('coffer_projection_lag_events', 'Events in the store not yet in the read models (capped at 100000)', (f) => f.lagEvents);
  gauge('coffer_projection_lag_seconds', 'Age of the oldest event not yet in the read models (0 when caught up)', (f) => f.lagSeconds);
  new Gauge({
    name: 'coffer_quarantined_events',
    help: 'Events set aside because a reader cannot take them, by reader (read_models: the serving generation; feed): verify fails while any is',
    labelNames: ['consumer'] as const,
    registers: [registry],
    async collect() {
      const counts = await quarantinedCounts(pool);
      if (!counts) return;
      this.set({ consumer: 'read_models' }, counts.read_models);
      this.set({ consumer: 'feed' }, counts.feed);
    },
  });
  return true;
}

/** See services/projector/src/quarantine.ts. */
async function quarantinedCounts(pool: Pool): Promise<{ read_models: number; feed: number } | undefined> {
  try {
    const { rows } = await pool.query(
      `SELECT count(*) FILTER (WHERE q.consumer = 'read-models:' || m.active_generation)::int AS read_models,
              count(*) FILTER (WHERE q.consumer = 'feed')::int AS feed
         FROM coffer_meta.quarantine q, coffer_meta.read_models m`,
    );
    return rows[0];
  } catch {
    return undefined; // not created yet (no projector has started): leave the gauge unset
  }
}

async function measure(pool: Pool): Promise<ProjectionFigures | undefined> {
  try {
    const checkpoint = await pool.query(
      `SELECT position::text AS exact, position::float8 AS position, events_projected::float8 AS projected
         FROM coffer_read.checkpoint`,
    );
    const { exact, position, projected } = checkpoint.rows[0];
    const behind = await pool.query(
      `SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(occurred_at)), 0)::float8 AS age
         FROM (SELECT occurred_at FROM coffer_es.events WHERE global_position > $1
                ORDER BY global_position LIMIT 100000) e`,
      [exact],
    );
    return { position, projected, lagEvents: behind.rows[0].n, lagSeconds: behind.rows[0].age };
  } catch {
    return undefined; // read models or the PostgreSQL store not there (yet): leave the gauges unset
  }
}
