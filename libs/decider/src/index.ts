export * from './command-memory';
export * from './writer-limits';
export * from './decider';
export * from './poisoned-command';
export * from './event-metadata';
