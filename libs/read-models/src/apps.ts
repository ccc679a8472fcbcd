/**
 * Apps: one row per registered app (game), its name and when it was registered. Folded from
 * AppRegistered; an app is never changed or removed, so a batch only inserts.
 */
import type { ClientBase } from 'pg';
import type { LedgerEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import type { ReadModel } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const APPS_TABLE = 'apps';

export function appsDdl(schema: string): string[] {
  return [`CREATE TABLE ${schema}.${APPS_TABLE} (realm text NOT NULL, app_id text PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL)`];
}

export interface AppRow {
  app_id: string;
  name: string;
  created_at: string;
}

export function foldApps(events: readonly ReplayedEvent[]): AppRow[] {
  const registered: AppRow[] = [];
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    if (event.type === 'AppRegistered') {
      registered.push({ app_id: event.data.app_id, name: event.data.name, created_at: event.data.registered_at });
    }
  }
  return registered;
}

export async function writeApps(client: ClientBase, schema: string, registered: AppRow[], realm: string): Promise<void> {
  const table = `${schema}.${APPS_TABLE}`;
  await writeRealmRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`, registered, realm);
}

export const apps: ReadModel = {
  tables: { [APPS_TABLE]: ['app_id'] },
  ddl: appsDdl,
  readerIndexDdl: () => [],
  fold(events, context) {
    const registered = foldApps(events);
    return (client, schema) => writeApps(client, schema, registered, context.realm);
  },
};
