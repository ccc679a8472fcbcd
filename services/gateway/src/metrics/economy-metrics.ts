import type { Pool } from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { sharedMeasurement } from '@coffer/platform';
import { USER_ACCOUNT_PREFIX } from '@coffer/contracts';
import { BALANCES_TABLE, READ_SCHEMA } from '@coffer/read-models';

/**
 * A sum over every user's balance row: one scan per scrape, so a result is shared this long
 * (Prometheus scrapes every 15 s by default; a dashboard of the supply needs no finer grain).
 */
const SHARE_MS = 10_000;

/**
 * The money supply per currency: what the users' wallets hold in the serving read models (posted,
 * so pending debits still count until they settle). Minting raises it, absorbing lowers it; a
 * sudden change is worth an operator's look (ops/prometheus/alerts.yml).
 */
export function registerEconomyMetrics(registry: Registry, pool: Pool): true {
  const supply = sharedMeasurement(() => measure(pool), SHARE_MS);
  new Gauge({
    name: 'coffer_money_supply',
    help: "Money in the users' wallets per currency, in minor units, as the read models hold it",
    labelNames: ['currency'] as const,
    registers: [registry],
    async collect() {
      const rows = await supply();
      if (!rows) return;
      this.reset(); // a currency nobody holds any more disappears rather than keep its last value
      for (const row of rows) this.set({ currency: row.currency }, row.supply);
    },
  });
  return true;
}

async function measure(pool: Pool): Promise<Array<{ currency: string; supply: number }> | undefined> {
  try {
    const { rows } = await pool.query<{ currency: string; supply: number }>(
      `SELECT currency, sum(posted)::float8 AS supply FROM ${READ_SCHEMA}.${BALANCES_TABLE}
        WHERE account LIKE $1 GROUP BY currency`,
      [`${USER_ACCOUNT_PREFIX}%`],
    );
    return rows;
  } catch {
    return undefined; // no read models yet (no projector has started): leave the gauge empty
  }
}
