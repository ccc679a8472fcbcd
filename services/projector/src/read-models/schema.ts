/**
 * Read models live in generations: schema `coffer_rm_<n>` holds one full set of tables and its
 * checkpoint. Readers use the views in `coffer_read`, which point at the active generation, so
 * a rebuild fills generation n+1 while n serves, then swaps the views in one transaction.
 *
 * Each read model of @coffer/read-models brings its tables' DDL, keys and reader indexes; a
 * generation adds its checkpoint.
 */
import { DEFAULT_REALM } from '@coffer/contracts';
import { READ_MODELS, READ_SCHEMA } from '@coffer/read-models';

export { READ_SCHEMA };
export const META_SCHEMA = 'coffer_meta';
export const generationSchema = (generation: number) => `coffer_rm_${generation}`;

/**
 * The shape of a generation's tables, recorded for the serving one in META_SCHEMA.read_models.
 * A change of shape bumps it: a projector that finds the serving generation older rebuilds
 * (blue/green, like `coffer rebuild all`) into a new one before it projects anything, since it
 * writes only the current shape.
 * 9: the audit trail without `command_key` and its unique index (a live batch merges a command
 *    split across batches by position: audit-trail.ts), and its `decided_at` index a BRIN.
 * 8: realms: every table but api_keys has a `realm` column, in the keys of those whose ids are
 *    a realm's own (accounts, transactions, finance events, balance history, ...).
 * 7: both 6s together (audit trail, and discord_role_id): a generation of either 6 rebuilds.
 * 6 (operators-api): audit_trail (every command decided, GET /admin/audit).
 * 6 (discord): achievements.discord_role_id (badges that give a Discord role).
 * 5: both halves of issue 13 together: 4 of one branch and 4 of the other, each a new shape.
 * 4: transactions.reverses_transaction_id (reversals) and finance_events.aborted_at; elsewhere
 *    the withdrawals and deposits tables.
 * 3: balance_history (balances at a time, statements) and unlock_counts (the achievements
 *    leaderboard), and the accounts' leaderboard index.
 * 2: transactions.type (the transaction's credit/debit/transfer/grant; 1 named the column `kind`).
 */
export const READ_MODEL_SCHEMA_VERSION = 9;

/** Tables of one generation, in the order a comparison walks them (with their keys). */
export const READ_MODEL_TABLES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  READ_MODELS.flatMap((model) => Object.entries(model.tables)),
);

export type ReadModelTable = keyof typeof READ_MODEL_TABLES;

/**
 * A generation's tables. Without `lookupKeys` the tables a replay fills in bulk come without the
 * keys the live projection looks their rows up by (see lookupKeyDdl).
 */
export function generationDdl(generation: number, { lookupKeys = true } = {}): string[] {
  const s = generationSchema(generation);
  return [
    `CREATE SCHEMA ${s}`,
    `CREATE TABLE ${s}.checkpoint (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       position bigint NOT NULL,
       last_event_at timestamptz,
       events_projected bigint NOT NULL DEFAULT 0,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    `INSERT INTO ${s}.checkpoint (position) VALUES (-1)`,
    ...READ_MODELS.flatMap((model) => model.ddl(s)),
    ...(lookupKeys ? lookupKeyDdl(generation) : []),
  ];
}

/**
 * What the live projection needs to update rows in place (transactions settle, finance events are
 * pinged and closed): their keys and fillfactors, each read model's own. A replay finds nothing
 * in the tables, so a rebuild adds these after its bulk inserts: one sort per key instead of an
 * index entry per inserted row (a third of PostgreSQL's work in a rebuild), and its final rows
 * stay packed.
 */
export function lookupKeyDdl(generation: number): string[] {
  const s = generationSchema(generation);
  return READ_MODELS.flatMap((model) => model.lookupKeyDdl?.(s) ?? []);
}

/**
 * Indexes only readers use (the projection itself never looks rows up by them). A rebuild fills
 * a generation without them and builds each once at the end, instead of maintaining them row by
 * row through the whole replay.
 */
export function readerIndexDdl(generation: number): string[] {
  const s = generationSchema(generation);
  return READ_MODELS.flatMap((model) => model.readerIndexDdl(s));
}

/**
 * Points the reader views at a generation (run inside the swap transaction). Dropped and made
 * again, not replaced: a generation of another shape (READ_MODEL_SCHEMA_VERSION) has other
 * column names, which CREATE OR REPLACE VIEW refuses to change.
 */
export function viewDdl(generation: number): string[] {
  const s = generationSchema(generation);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${READ_SCHEMA}`,
    ...['checkpoint', ...Object.keys(READ_MODEL_TABLES)].flatMap((table) => [
      `DROP VIEW IF EXISTS ${READ_SCHEMA}.${table}`,
      `CREATE VIEW ${READ_SCHEMA}.${table} AS SELECT * FROM ${s}.${table}`,
    ]),
  ];
}

/**
 * While a database made by an older shape is rebuilt into this one (minutes on a large store),
 * its generation keeps serving: its views also offer what the gateway's reads ask for under
 * today's names, so they keep answering instead of failing until the swap: shape 1's
 * transactions.kind as `type`, and before shape 3 a null `reverses_transaction_id` (no reversals
 * then), a null finance_events.aborted_at (no aborts then), and before shape 8 a `realm` on
 * every table, the default realm (there were no others). Nothing when the serving tables already
 * have them.
 */
export function olderShapeViewDdl(generation: number): string {
  const s = generationSchema(generation);
  const has = (table: string, column: string) =>
    `EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${s}' AND table_name = '${table}' AND column_name = '${column}')`;
  // Before shape 8 every row was the default realm's: each table lacking the column gets it as that.
  const realmless = Object.keys(READ_MODEL_TABLES)
    .filter((table) => table !== 'transactions' && table !== 'finance_events')
    .map(
      (table) => `IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = '${s}' AND table_name = '${table}')
        AND NOT ${has(table, 'realm')} THEN
      DROP VIEW IF EXISTS ${READ_SCHEMA}.${table};
      CREATE VIEW ${READ_SCHEMA}.${table} AS SELECT *, '${DEFAULT_REALM}'::text AS realm FROM ${s}.${table};
    END IF;`,
    )
    .join('\n    ');
  return `DO $$ DECLARE extra text := ''; aborted text := '';
  BEGIN
    IF ${has('transactions', 'kind')} AND NOT ${has('transactions', 'type')} THEN extra := extra || ', kind AS type'; END IF;
    IF NOT ${has('transactions', 'reverses_transaction_id')} THEN extra := extra || ', NULL::bigint AS reverses_transaction_id'; END IF;
    IF NOT ${has('transactions', 'realm')} THEN extra := extra || ', ''${DEFAULT_REALM}''::text AS realm'; END IF;
    IF extra <> '' THEN
      DROP VIEW IF EXISTS ${READ_SCHEMA}.transactions;
      EXECUTE 'CREATE VIEW ${READ_SCHEMA}.transactions AS SELECT *' || extra || ' FROM ${s}.transactions';
    END IF;
    IF NOT ${has('finance_events', 'aborted_at')} THEN aborted := aborted || ', NULL::timestamptz AS aborted_at'; END IF;
    IF NOT ${has('finance_events', 'realm')} THEN aborted := aborted || ', ''${DEFAULT_REALM}''::text AS realm'; END IF;
    IF aborted <> '' THEN
      DROP VIEW IF EXISTS ${READ_SCHEMA}.finance_events;
      EXECUTE 'CREATE VIEW ${READ_SCHEMA}.finance_events AS SELECT *' || aborted || ' FROM ${s}.finance_events';
    END IF;
    ${realmless}
  END $$`;
}

export const META_DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.read_models (
     id boolean PRIMARY KEY DEFAULT true CHECK (id),
     active_generation int NOT NULL,
     next_generation int NOT NULL)`,
  // The serving generation's READ_MODEL_SCHEMA_VERSION; a database from before it was kept has 1.
  `ALTER TABLE ${META_SCHEMA}.read_models ADD COLUMN IF NOT EXISTS schema_version int NOT NULL DEFAULT 1`,
];
