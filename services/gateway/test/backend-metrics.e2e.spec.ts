/**
 * /metrics beyond the gateway, from a real stack of the built services as processes: each NATS
 * service serves its own figures on its COFFER_METRICS_PORT (what Prometheus scrapes, see
 * ops/prometheus/prometheus.yml, and what npm start lists): the ledger's batches, queue, open
 * finance events and term, the feed's publish lag, the webhook outbox's backlog; and the gateway
 * the money supply per currency.
 */
import { createTestDatabase, dropTestStreams, freePort, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { ApiClient } from './api-client';
import { assertBuilt, BuiltServices, Service } from './processes';

jest.setTimeout(120000);

const ADMIN_TOKEN = 'metrics-admin-token-0123456789';

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of a series, by its name and labels as written in the text (`name{a="b"}`). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the services beyond the gateway on /metrics', () => {
  let database: TestDatabase;
  let services: BuiltServices;
  const natsPrefix = testNatsPrefix('metrics');
  const ports = new Map<string, number>();

  beforeAll(async () => {
    assertBuilt('gateway', 'ledger', 'projector', 'notifier');
    database = await createTestDatabase('backend_metrics');
    services = await BuiltServices.on({ databaseUrl: database.url, natsUrl: testNatsUrl(), natsPrefix, adminToken: ADMIN_TOKEN });
    for (const name of ['ledger', 'projector', 'notifier']) ports.set(name, await freePort());
    // Each with a port of its own, as npm start and docker compose give them.
    const own = (name: string) => ({ ...services.env, COFFER_METRICS_PORT: String(ports.get(name)) });
    const ledger = new Service('ledger', 'services/ledger/dist/main.js', { ...own('ledger'), LOG_LEVEL: 'info' });
    services.all.push(ledger);
    await services.waitFor('the ledger to lead', () => ledger.leading);
    services.all.push(new Service('projector', 'services/projector/dist/main.js', own('projector')));
    services.all.push(new Service('notifier', 'services/notifier/dist/main.js', own('notifier')));
    services.start('gateway');
    await services.waitFor('GET /ready 200', async () => (await ApiClient.http(services.base).ready()).status === 200);
  });

  afterAll(async () => {
    await services?.stop();
    await dropTestStreams(natsPrefix).catch(() => undefined);
    await database?.drop();
  });

  it('show the ledger, the feed, the webhook outbox and the money supply once the economy moves', async () => {
    const admin = ApiClient.http(services.base, ADMIN_TOKEN);
    const created = await admin.createApp({ name: 'Metrics' }, { idempotencyKey: 'metrics-app' });
    expect(created.status).toBe(201);
    const app = admin.as(String(created.reply.api_key));
    expect((await app.postTransaction({ user_id: 'ada', type: 'credit', amount: 40 }, { idempotencyKey: 'metrics-credit' })).status).toBe(201);
    const opened = await app.openEvent({}, { idempotencyKey: 'metrics-open' });
    expect(opened.status).toBe(201);

    const ledger = await scrape(ports.get('ledger')!);
    expect(value(ledger, 'coffer_ledger_batches_total')).toBeGreaterThanOrEqual(3);
    expect(value(ledger, 'coffer_ledger_events_appended_total{type="TransactionPosted"}')).toBeGreaterThanOrEqual(1);
    expect(value(ledger, 'coffer_ledger_open_finance_events')).toBe(1);
    expect(value(ledger, 'coffer_ledger_leading')).toBe(1);
    expect(value(ledger, 'coffer_ledger_term')).toBeGreaterThanOrEqual(1);
    expect(value(ledger, 'coffer_ledger_queue_depth')).toBe(0);
    expect(ledger).toContain('coffer_ledger_batch_commands_bucket{le="1"}');
    expect(value(ledger, 'coffer_ledger_due_expiries')).toBe(0);

    const notifier = await scrape(ports.get('notifier')!);
    expect(value(notifier, 'coffer_webhook_outbox_pending')).toBe(0);
    expect(value(notifier, 'coffer_webhook_outbox_oldest_pending_seconds')).toBe(0);

    const projector = await scrape(ports.get('projector')!);
    expect(value(projector, 'coffer_feed_published_events_total')).toBeGreaterThanOrEqual(0);
    expect(value(projector, 'coffer_feed_publish_lag_seconds')).toBeGreaterThanOrEqual(0);

    // The read models catch up: the supply is the 40 credited to ada.
    let gateway = '';
    await services.waitFor('the money supply on the gateway', async () => {
      gateway = (await admin.metrics()).text;
      return value(gateway, 'coffer_money_supply{currency="coins"}') === 40;
    });
    expect(gateway).toContain('# TYPE coffer_money_supply gauge');
  });
});
