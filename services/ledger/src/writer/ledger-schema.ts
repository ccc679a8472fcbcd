/**
 * The lock every creator of the ledger's own tables (schema `coffer_ledger`: the writer lease,
 * the snapshots) takes, so that ledgers starting together never race on the same CREATE.
 */
export const LEDGER_DDL_LOCK = 'coffer_ledger:ddl';
