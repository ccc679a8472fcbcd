// The REST API's DTO classes are not exported here: import them from '@coffer/contracts/http'.
export * from './commands';
export * from './envelope';
export * from './errors';
export * from './events';
export * from './events/schemas';
export * from './asyncapi';
export * from './messages';
export * from './subjects';
export * from './values';
export * from './read-models';
