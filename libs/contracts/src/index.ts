// Cut by concept: each concept folder holds its commands, replies, events (with their feed
// schemas) and HTTP classes; the shared pieces (values, envelope, errors, subjects, the event
// catalog and the writers' command unions) sit beside them. The REST API's DTO classes are not
// exported here: import them from '@coffer/contracts/http' (class-validator stays out of the
// backends).
export * from './app';
export * from './allowance';
export * from './finance-event';
export * from './finance-transaction';
export * from './external-account';
export * from './withdrawal';
export * from './deposit';
export * from './balance';
export * from './leaderboard';
export * from './achievement';
export * from './webhook';
export * from './operators';
export * from './writer';
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
