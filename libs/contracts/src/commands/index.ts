export * from './ledger';
export * from './reply';
