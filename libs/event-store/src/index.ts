export * from './envelope';
export * from './errors';
export { breaksContentRules, poisonedBy } from './content';
export { asFolded } from './folded-event';
export * from './port';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export { createEventStore, type EventStoreConfig } from './create-event-store';
export { createUnderLock, isCreationRaceLost, underSchemaLock } from './postgres/schema-lock';
export { SharedReader, type SharedReaderOptions } from './shared-reader';
