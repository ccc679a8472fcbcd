export * from './ledger';
export * from './achievements';
