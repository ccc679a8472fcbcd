/**
 * Finance events (not domain events: an app's window in which transactions stay pending until it
 * closes or expires): one row per finance event, its status and its times. Serves GET
 * /finance/events/:id with the event's transactions (transactions.ts).
 *
 * Folded from EventOpened, Pinged, EventClosed, EventExpired and EventAborted: an event opened in the batch is
 * inserted with the batch's later changes merged in, changes to an earlier one are merged into
 * one UPDATE each. A rebuild keeps open events in memory across pages and COPYs each closed or
 * expired one once, in its final state.
 */
import type { ClientBase } from 'pg';
import { realmOfApp, type FinanceEventDetails, type LedgerEvent } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { copyRows } from './copy';
import { READ_SCHEMA, takeFinal, writeRows, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase, writeRealmRows } from './realms';
import { transactionsOfEvent } from './transactions';

export const FINANCE_EVENTS_TABLE = 'finance_events';

/** Without its key: a rebuild adds it after its bulk inserts (lookupKeyDdl). */
export function financeEventsDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${FINANCE_EVENTS_TABLE} (
       realm text NOT NULL,
       event_id bigint NOT NULL,
       app_id text NOT NULL,
       description text,
       status text NOT NULL,
       opened_at timestamptz NOT NULL,
       last_ping_at timestamptz,
       expires_at timestamptz NOT NULL,
       closed_at timestamptz,
       expired_at timestamptz,
       aborted_at timestamptz)`,
  ];
}

/**
 * The key pings and closes look an event up by, and room on each page so that those updates,
 * which change no indexed column, stay on the row's page (HOT).
 */
export function financeEventsLookupKeyDdl(schema: string): string[] {
  return [
    `ALTER TABLE ${schema}.${FINANCE_EVENTS_TABLE} ADD PRIMARY KEY (realm, event_id)`,
    `ALTER TABLE ${schema}.${FINANCE_EVENTS_TABLE} SET (fillfactor = 85)`,
  ];
}

/** A row as written (JSON or COPY text: times are ISO strings); its realm is the batch's. */
export interface FinanceEventRow {
  event_id: number;
  app_id: string;
  description: string | null;
  status: 'open' | 'closed' | 'expired' | 'aborted';
  opened_at: string;
  last_ping_at: string | null;
  expires_at: string;
  closed_at: string | null;
  expired_at: string | null;
  aborted_at: string | null;
}

const FINANCE_EVENT_COLUMNS: Array<keyof FinanceEventRow> = [
  'event_id',
  'app_id',
  'description',
  'status',
  'opened_at',
  'last_ping_at',
  'expires_at',
  'closed_at',
  'expired_at',
  'aborted_at',
];

/** Changes to an event opened in an earlier batch: only the fields named are set. */
type FinanceEventChange = Pick<FinanceEventRow, 'event_id'> & Partial<FinanceEventRow>;

export interface FinanceEventsBatch {
  /** Opened in this batch (or, in a rebuild, still open from earlier pages), with later changes merged in. */
  opened: Map<number, FinanceEventRow>;
  /** Opened in an earlier batch: this batch's changes, merged. */
  changed: Map<number, FinanceEventChange>;
}

const emptyBatch = (): FinanceEventsBatch => ({ opened: new Map(), changed: new Map() });

/** Folds `events` into `batch` (a new one per live batch; one kept across a rebuild's pages). */
export function foldFinanceEvents(events: readonly ReplayedEvent[], batch: FinanceEventsBatch = emptyBatch()): FinanceEventsBatch {
  const change = (eventId: number, fields: Partial<FinanceEventRow>) => {
    const target = batch.opened.get(eventId) ?? batch.changed.get(eventId);
    if (target) Object.assign(target, fields);
    else batch.changed.set(eventId, { event_id: eventId, ...fields });
  };
  for (const recorded of events) {
    const event = recorded as unknown as LedgerEvent; // read as the union its type names
    switch (event.type) {
      case 'EventOpened':
        batch.opened.set(event.data.event_id, {
          event_id: event.data.event_id,
          app_id: event.data.app_id,
          description: event.data.description,
          status: 'open',
          opened_at: event.data.opened_at,
          last_ping_at: null,
          expires_at: event.data.expires_at,
          closed_at: null,
          expired_at: null,
          aborted_at: null,
        });
        break;
      case 'Pinged':
        change(event.data.event_id, { last_ping_at: event.data.pinged_at, expires_at: event.data.expires_at });
        break;
      case 'EventClosed':
        change(event.data.event_id, { status: 'closed', closed_at: event.data.closed_at });
        break;
      case 'EventExpired':
        change(event.data.event_id, { status: 'expired', expired_at: event.data.expired_at });
        break;
      case 'EventAborted':
        change(event.data.event_id, { status: 'aborted', aborted_at: event.data.aborted_at });
        break;
      default:
        break; // not about a finance event's own row
    }
  }
  return batch;
}

/** The changed ids also as an array, for the key's index whatever the statistics say (see writeTransactions). */
export async function writeFinanceEvents(client: ClientBase, schema: string, batch: FinanceEventsBatch, realm: string): Promise<void> {
  const table = `${schema}.${FINANCE_EVENTS_TABLE}`;
  await writeRealmRows(client, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(${realmBase(table, '$2')}, $1)`, [...batch.opened.values()], realm);
  await writeRows(
    client,
    `UPDATE ${table} f SET
        status = coalesce(u.status, f.status),
        last_ping_at = coalesce(u.last_ping_at, f.last_ping_at),
        expires_at = coalesce(u.expires_at, f.expires_at),
        closed_at = coalesce(u.closed_at, f.closed_at),
        expired_at = coalesce(u.expired_at, f.expired_at),
        aborted_at = coalesce(u.aborted_at, f.aborted_at)
       FROM jsonb_populate_recordset(null::${table}, $1) u
      WHERE f.realm = $2 AND f.event_id = ANY($3::bigint[]) AND f.event_id = u.event_id`,
    [...batch.changed.values()],
    realm,
    [...batch.changed.values()].map((row) => row.event_id),
  );
}

/** A rebuild: each page COPYs the events it ended; what is still open is written by `finish`. */
function replayFinanceEvents(realm: string): Replaying {
  const batch = emptyBatch();
  return {
    fold(events) {
      foldFinanceEvents(events, batch);
      const ended = takeFinal(batch.opened, (row) => row.status !== 'open');
      return (client, schema) => copyRows(client, `${schema}.${FINANCE_EVENTS_TABLE}`, FINANCE_EVENT_COLUMNS, ended, realm);
    },
    finish: (client, schema) => writeFinanceEvents(client, schema, batch, realm),
  };
}

export const financeEvents: ReadModel = {
  tables: { [FINANCE_EVENTS_TABLE]: ['realm', 'event_id'] },
  ddl: financeEventsDdl,
  lookupKeyDdl: financeEventsLookupKeyDdl,
  readerIndexDdl: () => [],
  fold(events, context) {
    const batch = foldFinanceEvents(events);
    return (client, schema) => writeFinanceEvents(client, schema, batch, context.realm);
  },
  replay: replayFinanceEvents,
};

// ---- queries (the gateway's; eventually consistent: a write shows once the projector has reached it)

/** The app's finance event with its transactions (in the app's realm); null when the read model does not know it (yet). */
export async function financeEventDetails(db: Queryable, eventId: number, appId: string): Promise<FinanceEventDetails | null> {
  const realm = realmOfApp(appId);
  const { rows } = await db.query(
    `SELECT event_id, app_id, description, status, opened_at, last_ping_at, expires_at, closed_at, expired_at, aborted_at
       FROM ${READ_SCHEMA}.${FINANCE_EVENTS_TABLE} WHERE realm = $3 AND event_id = $1 AND app_id = $2`,
    [eventId, appId, realm],
  );
  if (!rows.length) return null;
  const row = rows[0];
  return {
    event_id: Number(row.event_id),
    app_id: row.app_id,
    description: row.description,
    status: row.status,
    opened_at: row.opened_at.toISOString(),
    last_ping_at: iso(row.last_ping_at),
    expires_at: row.expires_at.toISOString(),
    closed_at: iso(row.closed_at),
    expired_at: iso(row.expired_at),
    aborted_at: iso(row.aborted_at),
    transactions: await transactionsOfEvent(db, realm, eventId),
  };
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);
