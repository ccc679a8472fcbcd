import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus registry: one per app instance, so tests can boot several. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'coffer_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'coffer_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'coffer_gateway_' });
  }

  /**
   * Ledger requests sent again (to a new writer after a takeover, or to the same one heard again
   * after NATS had nobody for it). The sender counts them itself; the counter catches up at
   * each scrape, so the hot path pays nothing for it.
   */
  countResends(resent: () => number): void {
    this.catchUp('coffer_ledger_requests_resent_total', 'Ledger requests this gateway sent again to a writer: a new one after a takeover, or the same one heard again after "no responders"', resent);
  }

  /** Requests sent to the services in batches, and the messages they left in: their ratio is the mean batch size. */
  countBatches(batched: () => { requests: number; messages: number }): void {
    this.catchUp('coffer_nats_batched_requests_total', 'Requests this gateway sent to the services in batches', () => batched().requests);
    this.catchUp('coffer_nats_batch_messages_total', 'NATS messages those batched requests left in (one per subject and event-loop turn)', () => batched().messages);
  }

  /** A counter its source counts itself, caught up at each scrape, so the hot path pays nothing for it. */
  private catchUp(name: string, help: string, total: () => number): void {
    let counted = 0;
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        const now = total();
        this.inc(now - counted);
        counted = now;
      },
    });
  }
}
