export * from './achievements';
export * from './ledger';
export * from './upcast';
export * from './versions';
