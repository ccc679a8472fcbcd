/**
 * The audit trail (table `audit_trail`): one row per command a writer decided, accepted or
 * refused, with who sent it (app and key, or admin token), when, what (its type and the users it
 * named or moved money of), its correlation id and its outcome (the types of the events it
 * produced, or its refusal). Serves GET /admin/audit.
 *
 * Folded from every event's metadata (stampFor in @coffer/decider writes who and what beside
 * each event) and its type: a command's events share its command id and decision time, so they
 * fold into one row whichever batch each lands in. Refusals are events too (CommandRefused,
 * AchievementCommandRefused: every decided refusal, with or without an Idempotency-Key), so a
 * rebuild restores the whole trail from the store and `verify` compares it like any table.
 * Events written before the writers stamped the command type say none (null), and their users
 * come from the event's data alone.
 */
import type { ClientBase } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { USER_ID_FIELDS } from '@coffer/contracts';
import { copyRows } from './copy';
import { READ_SCHEMA, page, type Page, type Queryable, type ReadModel, type Replaying } from './read-model';
import { realmBase, writeRealmRows } from './realms';

export const AUDIT_TRAIL_TABLE = 'audit_trail';

/** The users kept per command: a close or an expiry moves the money of every user of its finance event. */
export const MAX_AUDIT_USER_IDS = 100;

const REFUSAL_TYPES: ReadonlySet<string> = new Set(['CommandRefused', 'AchievementCommandRefused']);

export function auditTrailDdl(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.${AUDIT_TRAIL_TABLE} (
       realm text NOT NULL,
       position bigint PRIMARY KEY,
       command_id text NOT NULL,
       correlation_id text NOT NULL,
       command_type text,
       decided_at timestamptz NOT NULL,
       app_id text,
       key_id text,
       admin_token_id text,
       user_ids text[] NOT NULL,
       outcome text NOT NULL,
       events text[] NOT NULL,
       event_count integer NOT NULL,
       refusal_code text,
       refusal_message text)`,
  ];
}

/**
 * The searches of GET /admin/audit: each filter with the order pages are read in (newest first).
 * `decided_at` grows with `position` (a writer decides, then appends; two realms' writers only
 * roughly agree), so a BRIN index (a few bytes per range of pages, next to nothing per row) finds
 * a time range almost as well as a btree would, and is never wrong: it only narrows the pages.
 */
export function auditTrailReaderIndexDdl(schema: string): string[] {
  const t = `${schema}.${AUDIT_TRAIL_TABLE}`;
  return [
    `CREATE INDEX IF NOT EXISTS audit_trail_correlation ON ${t} (correlation_id, position)`,
    `CREATE INDEX IF NOT EXISTS audit_trail_app ON ${t} (app_id, position)`,
    `CREATE INDEX IF NOT EXISTS audit_trail_type ON ${t} (command_type, position)`,
    `CREATE INDEX IF NOT EXISTS audit_trail_decided ON ${t} USING brin (decided_at)`,
    `CREATE INDEX IF NOT EXISTS audit_trail_users ON ${t} USING gin (user_ids)`,
  ];
}

interface AuditRow {
  position: string;
  command_key: string;
  command_id: string;
  correlation_id: string;
  command_type: string | null;
  decided_at: string;
  app_id: string | null;
  key_id: string | null;
  admin_token_id: string | null;
  user_ids: string[];
  outcome: 'accepted' | 'refused';
  events: string[];
  event_count: number;
  refusal_code: string | null;
  refusal_message: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function usersOf(event: ReplayedEvent): string[] {
  const named = Array.isArray(event.metadata?.user_ids) ? event.metadata.user_ids.filter((id): id is string => typeof id === 'string') : [];
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  const moved = USER_ID_FIELDS.map((field) => data[field]).filter((id): id is string => typeof id === 'string');
  return [...named, ...moved];
}

function addUsers(row: AuditRow, users: string[]): void {
  for (const user of users) {
    if (row.user_ids.length >= MAX_AUDIT_USER_IDS) return;
    if (!row.user_ids.includes(user)) row.user_ids.push(user);
  }
}

/** Folds `events` into one row per command (a new map per live batch). */
export function foldAuditTrail(events: readonly ReplayedEvent[], rows = new Map<string, AuditRow>()): Map<string, AuditRow> {
  for (const event of events) {
    const metadata = event.metadata ?? { schema_version: 1 };
    const position = event.globalPosition.toString();
    const commandId = text(metadata.command_id) ?? `event:${position}`;
    const decidedMs = typeof metadata.decided_at_epoch_ms === 'number' ? metadata.decided_at_epoch_ms : event.occurredAt.getTime();
    // One command's events share these three; a reused key's refusal decided in the same batch as
    // the key's first request shares the first two only (its request has its own correlation id).
    const key = `${commandId}@${decidedMs}@${text(metadata.correlation_id) ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        position,
        command_key: key,
        command_id: commandId,
        correlation_id: text(metadata.correlation_id) ?? commandId,
        command_type: text(metadata.command_type),
        decided_at: new Date(decidedMs).toISOString(),
        app_id: text(metadata.app_id),
        key_id: text(metadata.key_id),
        admin_token_id: text(metadata.admin_token_id),
        user_ids: [],
        outcome: 'accepted',
        events: [],
        event_count: 0,
        refusal_code: null,
        refusal_message: null,
      };
      rows.set(key, row);
    }
    if (!row.events.includes(event.type)) row.events.push(event.type);
    row.event_count++;
    addUsers(row, usersOf(event));
    if (REFUSAL_TYPES.has(event.type)) {
      const refusal = event.data as { code?: unknown; message?: unknown };
      row.outcome = 'refused';
      row.refusal_code = text(refusal.code);
      row.refusal_message = text(refusal.message);
    }
  }
  return rows;
}

/**
 * The distinct elements of `array` in the order they first appear (at most `limit`): what the
 * fold keeps when it sees a command's events in one batch. A command split across batches is
 * merged here with its earlier part first, so the row is the same however the events were
 * batched (a plain DISTINCT orders by value instead, and the live row and a rebuilt one differed).
 */
const firstOccurrences = (array: string, limit?: number): string =>
  `ARRAY(SELECT x.value FROM unnest(${array}) WITH ORDINALITY AS x(value, n) GROUP BY x.value ORDER BY min(x.n)${limit === undefined ? '' : ` LIMIT ${limit}`})`;

/**
 * Inserts each command's row. A command's events are appended together, so they are contiguous in
 * the store (one append's positions are consecutive: no event of another append, of any realm,
 * lies between): only a batch's first command may be the rest of one an earlier batch began, and
 * its row is then the one right before the batch's first event. That row, if it is the same command's
 * (same id, decision time and request), takes the first command's event types, count and users;
 * every other row is inserted. One lookup by position per batch, where a unique key on the
 * command would cost an index entry of its long key per row.
 */
export async function writeAuditTrail(client: ClientBase, schema: string, rows: Map<string, AuditRow>, realm: string): Promise<void> {
  const t = `${schema}.${AUDIT_TRAIL_TABLE}`;
  const [first, ...rest] = rows.values();
  if (first === undefined) return;
  const { rowCount } = await client.query(
    `UPDATE ${t} AS a SET
        events = ${firstOccurrences('a.events || $6::text[]')},
        event_count = a.event_count + $7,
        user_ids = ${firstOccurrences('a.user_ids || $8::text[]', MAX_AUDIT_USER_IDS)},
        command_type = coalesce(a.command_type, $9),
        outcome = CASE WHEN $10 = 'refused' THEN 'refused' ELSE a.outcome END,
        refusal_code = coalesce(a.refusal_code, $11),
        refusal_message = coalesce(a.refusal_message, $12)
       FROM (SELECT position FROM ${t} WHERE position < $1 ORDER BY position DESC LIMIT 1) AS previous
      WHERE a.position = previous.position
        AND a.realm = $2 AND a.command_id = $3 AND a.decided_at = $4 AND a.correlation_id = $5`,
    [
      first.position,
      realm,
      first.command_id,
      first.decided_at,
      first.correlation_id,
      first.events,
      first.event_count,
      first.user_ids,
      first.command_type,
      first.outcome,
      first.refusal_code,
      first.refusal_message,
    ],
  );
  await writeRealmRows(
    client,
    `INSERT INTO ${t} SELECT * FROM jsonb_populate_recordset(${realmBase(t, '$2')}, $1)`,
    rowCount === 1 ? rest : [first, ...rest],
    realm,
  );
}

const AUDIT_COLUMNS = [
  'position',
  'command_id',
  'correlation_id',
  'command_type',
  'decided_at',
  'app_id',
  'key_id',
  'admin_token_id',
  'user_ids',
  'outcome',
  'events',
  'event_count',
  'refusal_code',
  'refusal_message',
] as const;

/** An array in PostgreSQL's text form, every element quoted (COPY escapes the backslashes again). */
const arrayLiteral = (values: readonly string[]): string => `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;

function copyAuditRows(client: ClientBase, schema: string, rows: AuditRow[], realm: string): Promise<void> {
  const asText = rows.map((row) => ({ ...row, user_ids: arrayLiteral(row.user_ids), events: arrayLiteral(row.events) }));
  return copyRows(client, `${schema}.${AUDIT_TRAIL_TABLE}`, AUDIT_COLUMNS, asText, realm);
}

/**
 * A rebuild: each page's rows COPYed as they are final. A command's events are contiguous in the
 * store (and in its realm's share of a page; see writeAuditTrail): only the page's last command
 * may go on in the next page. Its row is held and folded on; every other row is final, so a
 * rebuild never reads a row back.
 */
function replayAuditTrail(realm: string): Replaying {
  let open = new Map<string, AuditRow>();
  return {
    fold(events) {
      const rows = [...foldAuditTrail(events, open).values()];
      const last = rows.pop();
      open = new Map(last ? [[last.command_key, last]] : []);
      return (client, schema) => copyAuditRows(client, schema, rows, realm);
    },
    finish: (client, schema) => copyAuditRows(client, schema, [...open.values()], realm),
  };
}

export const auditTrail: ReadModel = {
  tables: { [AUDIT_TRAIL_TABLE]: ['position'] },
  ddl: auditTrailDdl,
  readerIndexDdl: auditTrailReaderIndexDdl,
  fold(events, context) {
    const rows = foldAuditTrail(events);
    return (client, schema) => writeAuditTrail(client, schema, rows, context.realm);
  },
  replay: replayAuditTrail,
};

// ---- the gateway's query -----------------------------------------------------------------------

export interface AuditFilter {
  /** Only this realm's commands (none: every realm's). */
  realm?: string;
  app_id?: string;
  user_id?: string;
  correlation_id?: string;
  type?: string;
  /** ISO times: decided at or after `from`, before `to`. */
  from?: string;
  to?: string;
  /** The position of the last entry of the previous page: this page is older. */
  before?: string;
  limit: number;
}

/** A row as the API shows it: the refusal as one field, without the row's own bookkeeping. */
export type AuditEntry = Omit<AuditRow, 'command_key' | 'event_count' | 'refusal_code' | 'refusal_message'> & {
  refusal: { code: string; message: string } | null;
};

/** A page of the trail, newest first. */
export async function searchAuditTrail(db: Queryable, filter: AuditFilter): Promise<Page<AuditEntry>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.realm !== undefined) add('realm = ?', filter.realm);
  if (filter.app_id !== undefined) add('app_id = ?', filter.app_id);
  if (filter.user_id !== undefined) add('user_ids @> ARRAY[?]::text[]', filter.user_id);
  if (filter.correlation_id !== undefined) add('correlation_id = ?', filter.correlation_id);
  if (filter.type !== undefined) add('command_type = ?', filter.type);
  if (filter.from !== undefined) add('decided_at >= ?', filter.from);
  if (filter.to !== undefined) add('decided_at < ?', filter.to);
  if (filter.before !== undefined) add('position < ?', filter.before);
  params.push(filter.limit + 1);
  const { rows } = await db.query(
    `SELECT position::text, command_id, correlation_id, command_type,
            to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS decided_at,
            app_id, key_id, admin_token_id, user_ids, outcome, events, refusal_code, refusal_message
       FROM ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY position DESC LIMIT $${params.length}`,
    params,
  );
  return page(
    rows,
    filter.limit,
    (row) => String(row.position),
    (row): AuditEntry => ({
      correlation_id: row.correlation_id,
      command_id: row.command_id,
      command_type: row.command_type,
      decided_at: row.decided_at,
      app_id: row.app_id,
      key_id: row.key_id,
      admin_token_id: row.admin_token_id,
      user_ids: row.user_ids,
      outcome: row.outcome,
      events: row.events,
      refusal: row.refusal_code === null ? null : { code: row.refusal_code, message: row.refusal_message ?? '' },
      position: String(row.position),
    }),
  );
}
