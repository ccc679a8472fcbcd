import { Inject, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import { createEventStore, type EventStore } from '@coffer/event-store';
import { Generations, OPERATIONS_STATEMENT_TIMEOUT_MS, rebuild, verify } from '@coffer/projector/dist/operations';
import { CONFIG, createPool, EVENT_STORE, type CofferConfig, type PoolBounds } from '@coffer/platform';
import { DB_POOL } from '../tokens';
import { EventStreams } from './event-streams';
import { OperationJobs, type OperationResult, type OperationRunner } from './operation-jobs';

/**
 * A job's own store and pool, built as the CLI builds them (statements bounded by the
 * operations' long timeout, not the API's) and closed when it ends.
 */
function asTheCli(config: CofferConfig, run: (store: EventStore, generations: Generations) => Promise<OperationResult>): () => Promise<OperationResult> {
  return async () => {
    const bounds: PoolBounds = { statementTimeoutMs: OPERATIONS_STATEMENT_TIMEOUT_MS, poolWaitMs: config.pgPoolWaitMs };
    const store = await createEventStore({ databaseUrl: config.databaseUrl, eventStoreUrl: config.eventStoreUrl, createPool: (settings) => createPool(settings, bounds) });
    const pool = createPool({ connectionString: config.databaseUrl, max: 2 }, bounds);
    try {
      return await run(store, new Generations(pool));
    } finally {
      await store.close();
      await pool.end();
    }
  };
}

export function operationRunners(config: CofferConfig): Record<'verify' | 'rebuild', OperationRunner> {
  return {
    verify: () => asTheCli(config, (store, generations) => verify(store, generations))(),
    rebuild: (progress) =>
      asTheCli(config, async (store, generations) => {
        const result = await rebuild(store, generations, { progress });
        return { generation: result.generation, events: result.events, seconds: result.seconds, events_per_second: result.eventsPerSecond };
      })(),
  };
}

/** Stops the event streams and waits for a running job at shutdown (a rebuild left half-done is dropped by the next one). */
class OperationsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EventStreams) private readonly streams: EventStreams,
    @Inject(OperationJobs) private readonly jobs: OperationJobs,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    this.streams.closeAll();
    await this.jobs.settled();
  }
}

export const OPERATIONS_PROVIDERS: Provider[] = [
  { provide: OperationJobs, inject: [DB_POOL, CONFIG], useFactory: (pool: Pool, config: CofferConfig) => new OperationJobs(pool, operationRunners(config)) },
  { provide: EventStreams, inject: [EVENT_STORE], useFactory: (store: EventStore) => new EventStreams(store) },
  OperationsCloser,
];
