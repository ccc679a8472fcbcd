import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import type { Pool } from 'pg';
import type { EventStore } from '@coffer/event-store';
import { CoreModule, createPool, EVENT_STORE, healthController, poolBoundsOf, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { Registry } from 'prom-client';
import { registerNotifierMetrics } from './metrics/notifier-metrics';
import { DEFAULT_DELIVERER_OPTIONS, Deliverer, type DelivererOptions } from './delivery/deliverer';
import { NotifierController } from './notifier.controller';
import { MAX_PENDING_PER_WEBHOOK, OutboxFeeder } from './outbox/outbox-feeder';
import { ensureNotifierSchema } from './store/schema';
import { Webhooks } from './store/webhooks';
import { DailySummaries } from './summary/daily-summaries';

export const NOTIFIER_POOL = Symbol('NotifierPool');

/** Test settings: shorter retries and timeouts than a deployment's. */
export interface NotifierTuning {
  delivery?: Partial<Omit<DelivererOptions, 'rules'>>;
  maxPendingPerWebhook?: number;
  /** The clock daily.summary reads the day from (tests move it to the next midnight). */
  summaryClock?: () => number;
  summaryIntervalMs?: number;
}

/** Feeds the outbox and delivers it for the life of the service; stops both before the store and pool close. */
@Injectable()
class NotifierRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(OutboxFeeder) private readonly feeder: OutboxFeeder,
    @Inject(Deliverer) private readonly deliverer: Deliverer,
    @Inject(DailySummaries) private readonly summaries: DailySummaries,
    @Inject(NOTIFIER_POOL) private readonly pool: Pool,
  ) {}

  onApplicationBootstrap(): void {
    this.feeder.start();
    this.deliverer.start();
    this.summaries.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.feeder.stop(), this.deliverer.stop(), this.summaries.stop()]);
    await this.pool.end();
  }
}

@Module({})
export class NotifierModule {
  static forRoot(config: CofferConfig, logger: JsonLogger, tuning: NotifierTuning = {}, registry: Registry = new Registry()): DynamicModule {
    const rules = { allowPrivate: config.webhookAllowPrivate };
    return {
      module: NotifierModule,
      imports: [CoreModule.forRoot(config, logger, { eventStore: true })],
      controllers: [healthController('notifier'), NotifierController],
      providers: [
        {
          provide: NOTIFIER_POOL,
          useFactory: async () => {
            const pool = createPool({ connectionString: config.databaseUrl, max: 8 }, poolBoundsOf(config));
            await ensureNotifierSchema(pool);
            registerNotifierMetrics(registry, pool);
            return pool;
          },
        },
        {
          provide: Webhooks,
          inject: [NOTIFIER_POOL, EVENT_STORE],
          useFactory: (pool: Pool, store: EventStore) => new Webhooks(pool, rules, () => store.headPosition()),
        },
        {
          provide: Deliverer,
          inject: [NOTIFIER_POOL],
          useFactory: (pool: Pool) => new Deliverer(pool, logger, {
              ...DEFAULT_DELIVERER_OPTIONS,
              idempotencyRetentionHours: config.idempotencyRetentionHours,
              ...tuning.delivery,
              rules,
            }),
        },
        {
          provide: OutboxFeeder,
          inject: [EVENT_STORE, NOTIFIER_POOL, Deliverer],
          useFactory: (store: EventStore, pool: Pool, deliverer: Deliverer) =>
            new OutboxFeeder(store, pool, logger, () => deliverer.nudge(), tuning.maxPendingPerWebhook ?? MAX_PENDING_PER_WEBHOOK),
        },
        {
          provide: DailySummaries,
          inject: [NOTIFIER_POOL, EVENT_STORE, Deliverer],
          useFactory: (pool: Pool, store: EventStore, deliverer: Deliverer) =>
            new DailySummaries(pool, () => store.headPosition(), logger, () => deliverer.nudge(), tuning.summaryClock, tuning.summaryIntervalMs),
        },
        NotifierRunner,
      ],
    };
  }
}
