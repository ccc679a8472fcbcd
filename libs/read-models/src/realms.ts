/**
 * Realms in the read models: one projector serves every realm, and each row belongs to one (a
 * user id names an account inside one realm, and each realm's ledger numbers its own
 * transactions, finance events, withdrawals and deposits). The projector folds each realm's
 * events apart, so a fold sees one realm's ids only and stamps its rows with that realm.
 */
import { DEFAULT_REALM, realmOfApp, realmOfStream } from '@coffer/contracts';
import type { ClientBase } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { writeRows } from './read-model';

/**
 * A ledger event's realm is its stream's (`ledger-<realm>`); an achievements event's, its app's
 * (its id names it, app-id.ts); an event that says neither (a store written before realms, a
 * test's) is the default realm's.
 */
export function realmOfEvent(event: ReplayedEvent): string {
  if (event.stream !== undefined) {
    const realm = realmOfStream(event.stream);
    if (realm !== undefined) return realm;
  }
  const appId = (event.data as { app_id?: unknown } | null | undefined)?.app_id;
  return typeof appId === 'string' ? realmOfApp(appId) : DEFAULT_REALM;
}

/** The events of each realm, in their order; one realm's batch (the usual case) is not copied. */
export function eventsByRealm<E extends ReplayedEvent>(events: readonly E[]): Map<string, readonly E[]> {
  if (events.length === 0) return new Map();
  const first = realmOfEvent(events[0]);
  let split: Map<string, E[]> | undefined;
  for (let i = 1; i < events.length; i++) {
    const realm = realmOfEvent(events[i]);
    if (split === undefined) {
      if (realm === first) continue;
      split = new Map([[first, events.slice(0, i)]]);
    }
    let list = split.get(realm);
    if (!list) split.set(realm, (list = []));
    list.push(events[i]);
  }
  return split ?? new Map([[first, events]]);
}

/**
 * The base record of a jsonb_populate_recordset into `table` whose `realm` is the parameter
 * `param`: rows (which never carry their realm) take it from there, every other column from the
 * row as before.
 */
export function realmBase(table: string, param: string): string {
  return `jsonb_populate_record(null::${table}, jsonb_build_object('realm', ${param}::text))`;
}

/** writeRows with the realm as $2 (see realmBase). */
export function writeRealmRows(client: Pick<ClientBase, 'query'>, sql: string, rows: unknown[], realm: string): Promise<void> {
  return writeRows(client, sql, rows, realm);
}
