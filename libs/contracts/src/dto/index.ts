export * from './admin.dto';
export * from './fields';
export * from './finance.dto';
export * from './responses';
export * from './validators';
export * from './achievements.dto';
export * from './paging.dto';
