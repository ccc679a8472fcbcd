import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Pool } from 'pg';
import { SharedReader, type EventStore } from '@coffer/event-store';
import { CoreModule, createPool, EVENT_STORE, healthController, poolBoundsOf, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { Registry } from 'prom-client';
import { AnalyticsFeed } from './feed/analytics-feed';
import { registerFeedMetrics } from './feed/feed-metrics';
import { Generations } from './read-models/generations';
import { Projector } from './read-models/projector';

/** Runs the read-model projector and the analytics feed for the life of the service. */
@Injectable()
class ProjectorRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(Projector) private readonly projector: Projector,
    @Inject(AnalyticsFeed) private readonly feed: AnalyticsFeed,
    @Inject(Pool) private readonly pool: Pool,
    @Inject(SharedReader) private readonly reader: SharedReader,
  ) {}

  onApplicationBootstrap(): void {
    this.projector.start();
    this.feed.start();
  }

  // Before the event store closes (CoreModule closes it on shutdown).
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.projector.stop(), this.feed.stop()]);
    await this.reader.close();
    await this.pool.end();
  }
}

@Module({})
export class ProjectorModule {
  static forRoot(config: CofferConfig, logger: JsonLogger, registry: Registry = new Registry()): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [CoreModule.forRoot(config, logger, { eventStore: true })],
      controllers: [healthController('projector')],
      providers: [
        {
          provide: Pool,
          useFactory: () => createPool({ connectionString: config.databaseUrl, max: 4 }, poolBoundsOf(config)),
        },
        { provide: Generations, inject: [Pool], useFactory: (pool: Pool) => new Generations(pool) },
        // One read of the store for the projector and the feed: each batch is read and parsed once.
        // Read in the projector's batches, as often as the projector wants (its 25 ms keeps
        // read-your-writes waits well inside the 250 ms lag budget); the feed takes slices of 500.
        {
          provide: SharedReader,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new SharedReader(store, { batchSize: 1000, minReadIntervalMs: 25 }),
        },
        {
          provide: Projector,
          inject: [EVENT_STORE, Generations, SharedReader],
          useFactory: (store: EventStore, generations: Generations, reader: SharedReader) =>
            new Projector(store, generations, logger, 1000, reader),
        },
        {
          provide: AnalyticsFeed,
          inject: [EVENT_STORE, Pool, SharedReader],
          useFactory: (store: EventStore, pool: Pool, reader: SharedReader) => {
            const feed = new AnalyticsFeed(store, config, config.natsPrefix, logger, pool, reader);
            registerFeedMetrics(registry, feed, store);
            return feed;
          },
        },
        ProjectorRunner,
      ],
    };
  }
}
