/**
 * Bulk inserts with COPY: PostgreSQL reads tab-separated text directly, with none of the JSON
 * parsing and record building of jsonb_populate_recordset (2–3 times the server's work for the
 * same rows, and a rebuild inserts every transaction and finance event of the store).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One value in COPY's text format: null (or missing, as for jsonb_populate_recordset) is \N, and
 * backslash, tab, newline and carriage return are escaped; PostgreSQL parses the rest as typed.
 */
function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (special) => ESCAPES[special]) : text;
}

/** Inserts `rows` into `table`, each row's `columns` in that order, all in `realm` (its `realm` column) when given. */
export async function copyRows<Row>(
  client: ClientBase,
  table: string,
  columns: ReadonlyArray<keyof Row & string>,
  rows: Row[],
  realm?: string,
): Promise<void> {
  if (rows.length === 0) return;
  const lead = realm === undefined ? '' : `${field(realm)}\t`;
  let text = '';
  for (const row of rows) text += lead + columns.map((column) => field(row[column])).join('\t') + '\n';
  const names = realm === undefined ? columns.join(', ') : ['realm', ...columns].join(', ');
  await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${table} (${names}) FROM STDIN`)));
}
