/**
 * What the withdrawals and deposits read models share (withdrawals.ts, deposits.ts): one row per
 * request, inserted when requested and updated once when an operator decides it; operators list
 * them by status, oldest first (the waiting ones are the queue to work through).
 */
import type { ClientBase } from 'pg';
import type { LedgerEvent, VerificationStatus } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { READ_SCHEMA, writeRows, type FoldContext, type Queryable, type ReadModel } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export interface VerificationRow {
  id: number;
  transaction_id: number;
  user_id: string;
  app_id: string | null;
  external_account_id: number;
  reference_last4: string | null;
  amount: string;
  currency: string;
  status: VerificationStatus;
  requested_at: string;
  decided_at: string | null;
  reason: string | null;
}

/** A request's row as its Requested event says: waiting. */
export function requestedRow(
  id: number,
  data: { transaction_id: number; user_id: string; app_id: string | null; external_account_id: number; amount: string; currency: string; requested_at: string },
  reference_last4: string | null,
): VerificationRow {
  const { transaction_id, user_id, app_id, external_account_id, amount, currency, requested_at } = data;
  return { id, transaction_id, user_id, app_id, external_account_id, reference_last4, amount, currency, status: 'waiting_for_verification', requested_at, decided_at: null, reason: null };
}

type Decision = { id: number; status: VerificationStatus; decided_at: string; reason: string | null };

/** Which events make and decide one kind's rows, and what its id column is called. */
interface Kind {
  table: string;
  idColumn: 'withdrawal_id' | 'deposit_id';
  requested: (event: LedgerEvent) => VerificationRow | null;
  decided: (event: LedgerEvent) => Decision | null;
}

export function verificationReadModel(kind: Kind): ReadModel {
  const ddl = (schema: string) => [
    `CREATE TABLE ${schema}.${kind.table} (
       realm text NOT NULL,
       ${kind.idColumn} bigint NOT NULL,
       transaction_id bigint NOT NULL,
       user_id text NOT NULL,
       app_id text,
       external_account_id bigint NOT NULL,
       reference_last4 text,
       amount numeric(40) NOT NULL,
       currency text NOT NULL,
       status text NOT NULL,
       requested_at timestamptz NOT NULL,
       decided_at timestamptz,
       reason text,
       PRIMARY KEY (realm, ${kind.idColumn}))`,
  ];
  return {
    tables: { [kind.table]: ['realm', kind.idColumn] },
    ddl,
    // GET /admin/<kind>?status=: a status's rows, oldest first.
    readerIndexDdl: (schema) => [`CREATE INDEX IF NOT EXISTS ${kind.table}_status ON ${schema}.${kind.table} (realm, status, ${kind.idColumn})`],
    fold(events: readonly ReplayedEvent[], { realm }: FoldContext) {
      const created = new Map<number, VerificationRow>();
      const decided: Decision[] = [];
      for (const recorded of events) {
        const event = recorded as unknown as LedgerEvent; // read as the union its type names
        const row = kind.requested(event);
        if (row) {
          created.set(row.id, row);
          continue;
        }
        const decision = kind.decided(event);
        if (!decision) continue;
        const fresh = created.get(decision.id);
        if (fresh) Object.assign(fresh, { status: decision.status, decided_at: decision.decided_at, reason: decision.reason });
        else decided.push(decision);
      }
      return async (client: ClientBase, schema: string) => {
        const table = `${schema}.${kind.table}`;
        const rows = [...created.values()].map(({ id, ...rest }) => ({ [kind.idColumn]: id, ...rest }));
        await writeRealmRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`, rows, realm);
        // The ids also as an array, for the key's index whatever the statistics say (transactions.ts: writeTransactions).
        await writeRows(
          client,
          `UPDATE ${table} t SET status = u.status, decided_at = u.decided_at, reason = u.reason
             FROM jsonb_to_recordset($1) AS u(id bigint, status text, decided_at timestamptz, reason text)
            WHERE t.realm = $2 AND t.${kind.idColumn} = ANY($3::bigint[]) AND t.${kind.idColumn} = u.id`,
          decided,
          realm,
          decided.map((row) => row.id),
        );
      };
    },
  };
}

/** Most rows one page of GET /admin/withdrawals or /admin/deposits holds. */
export const MAX_VERIFICATIONS_PER_PAGE = 100;

export interface VerificationFilter {
  /** The realm whose requests to list (each realm's ledger numbers its own). */
  realm: string;
  status?: VerificationStatus;
  /** Exclusive lower bound on the id (oldest first), from the previous next_cursor. */
  after?: number;
  limit: number;
}

/** A page of one kind's rows, oldest first. */
export async function listVerifications(
  db: Queryable,
  table: string,
  idColumn: string,
  filter: VerificationFilter,
): Promise<{ rows: VerificationRow[]; next_cursor: string | null }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  conditions.push(`realm = ${param(filter.realm)}`);
  if (filter.status) conditions.push(`status = ${param(filter.status)}`);
  if (filter.after !== undefined) conditions.push(`${idColumn} > ${param(filter.after)}`);
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query(
    `SELECT ${idColumn} AS id, transaction_id, user_id, app_id, external_account_id, reference_last4, amount::text AS amount, currency,
            status, requested_at, decided_at, reason
       FROM ${READ_SCHEMA}.${table} ${where} ORDER BY ${idColumn} LIMIT ${param(filter.limit + 1)}`,
    params,
  );
  const shown = rows.slice(0, filter.limit).map(
    (row): VerificationRow => ({
      id: Number(row.id),
      transaction_id: Number(row.transaction_id),
      user_id: row.user_id,
      app_id: row.app_id,
      external_account_id: Number(row.external_account_id),
      reference_last4: row.reference_last4,
      amount: row.amount,
      currency: row.currency,
      status: row.status,
      requested_at: row.requested_at.toISOString(),
      decided_at: row.decided_at === null ? null : row.decided_at.toISOString(),
      reason: row.reason,
    }),
  );
  return { rows: shown, next_cursor: rows.length > filter.limit ? String(shown[shown.length - 1].id) : null };
}
