export * from './test-database';
export * from './test-nats';
export * from './committed-events';
export * from './pausable-proxy';
export * from './eventually';
export * from './private-servers';
export * from './free-port';
export * from './hostile-json';
