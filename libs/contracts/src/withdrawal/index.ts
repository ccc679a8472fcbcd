// The concept's commands, replies, events and their feed schemas; its HTTP classes are in dto.ts
// (reached only through '@coffer/contracts/http').
export * from './commands';
export * from './events';
export * from './feed';
