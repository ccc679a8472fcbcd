export * from './bootstrap';
export * from './config';
export * from './core.module';
export * from './correlation';
export * from './database';
export * from './logger';
export * from './nats-transport';
export * from './tokens';
