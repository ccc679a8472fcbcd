import type { EventStore } from './port';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';

export interface EventStoreConfig {
  /** PostgreSQL connection string: the store's default home. */
  databaseUrl: string;
  /** When set (`esdb://…`), EventStoreDB is the store instead of PostgreSQL. */
  eventStoreUrl?: string;
  /** PostgreSQL schema of the store (default `coffer_es`). */
  schema?: string;
  poolSize?: number;
  /** Builds the PostgreSQL store's pool (bounded statements and waits); plain `new Pool` when unset. */
  createPool?: PostgresEventStoreOptions['createPool'];
}

/** Picks the adapter by configuration: EVENTSTORE_URL set means EventStoreDB, else PostgreSQL. */
export async function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  if (config.eventStoreUrl) {
    const { EventStoreDbEventStore } = await import('./esdb/esdb-event-store');
    return EventStoreDbEventStore.connect(config.eventStoreUrl);
  }
  return PostgresEventStore.connect({
    connectionString: config.databaseUrl,
    schema: config.schema,
    poolSize: config.poolSize,
    createPool: config.createPool,
  });
}
