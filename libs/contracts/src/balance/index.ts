// A balance: its query and reply; its HTTP classes are in dto.ts ('@coffer/contracts/http').
export * from './commands';
