// The concept's commands, replies and (internal) events; its HTTP classes are in dto.ts
// (reached only through '@coffer/contracts/http').
export * from './commands';
export * from './events';
