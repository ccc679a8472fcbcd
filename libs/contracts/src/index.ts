export * from './commands';
export * from './dto';
export * from './envelope';
export * from './errors';
export * from './events';
export * from './messages';
export * from './money';
export * from './subjects';
