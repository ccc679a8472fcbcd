export * from './command-memory';
export * from './writer-limits';
