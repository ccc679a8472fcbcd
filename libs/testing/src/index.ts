export * from './test-database';
export * from './test-nats';
export * from './committed-events';
export * from './eventually';
export * from './free-port';
