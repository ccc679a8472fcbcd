/**
 * API keys: one row per issued key, its app, when it was issued and when (if) it was revoked;
 * never its hash, which stays in the store (the gateway authenticates from there).
 *
 * Folded from ApiKeyIssued and ApiKeyRevoked: a revoke merges into a key issued in the same
 * batch, else it updates the row of an earlier one; two statements whatever the batch size.
 */
import type { ClientBase } from 'pg';
import type { LedgerEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { writeRows, type ReadModel } from './read-model';

export const API_KEYS_TABLE = 'api_keys';

export function apiKeysDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${API_KEYS_TABLE} (
       key_id text PRIMARY KEY, app_id text NOT NULL, created_at timestamptz NOT NULL, revoked_at timestamptz)`,
  ];
}

export interface ApiKeyRow {
  key_id: string;
  app_id: string;
  created_at: string;
  revoked_at: string | null;
}

export interface ApiKeysBatch {
  /** Issued in this batch, revoked too when the batch says so. */
  issued: Map<string, ApiKeyRow>;
  /** Issued in an earlier batch, revoked in this one. */
  revoked: Array<{ key_id: string; revoked_at: string }>;
}

export function foldApiKeys(events: readonly ReplayedEvent[]): ApiKeysBatch {
  const batch: ApiKeysBatch = { issued: new Map(), revoked: [] };
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'ApiKeyIssued') {
      const { key_id, app_id, issued_at } = event.data;
      batch.issued.set(key_id, { key_id, app_id, created_at: issued_at, revoked_at: null });
    } else if (event.type === 'ApiKeyRevoked') {
      const fresh = batch.issued.get(event.data.key_id);
      if (fresh) fresh.revoked_at = event.data.revoked_at;
      else batch.revoked.push({ key_id: event.data.key_id, revoked_at: event.data.revoked_at });
    }
  }
  return batch;
}

export async function writeApiKeys(client: ClientBase, schema: string, batch: ApiKeysBatch): Promise<void> {
  const table = `${schema}.${API_KEYS_TABLE}`;
  await writeRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(null::${table}, $1)`, [...batch.issued.values()]);
  await writeRows(
    client,
    `UPDATE ${table} k SET revoked_at = u.revoked_at
       FROM jsonb_to_recordset($1) AS u(key_id text, revoked_at timestamptz) WHERE k.key_id = u.key_id`,
    batch.revoked,
  );
}

export const apiKeys: ReadModel = {
  tables: { [API_KEYS_TABLE]: ['key_id'] },
  ddl: apiKeysDdl,
  readerIndexDdl: () => [],
  fold(events) {
    const batch = foldApiKeys(events);
    return (client, schema) => writeApiKeys(client, schema, batch);
  },
};
