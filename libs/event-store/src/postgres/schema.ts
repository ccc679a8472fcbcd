/**
 * Tables of the PostgreSQL event store, in a schema of their own inside DATABASE_URL.
 *
 * The gap problem: a bigserial position is handed out at insert but becomes visible at commit,
 * so a reader can see position 11 before a slower writer commits 10 and skip 10 forever. Here
 * every row's global position is `xid * 65536 + index in its transaction`, and readers only see
 * rows whose transaction id is below the oldest appending transaction still running (the
 * horizon, horizon.ts). Every append below that horizon has ended, so no row can ever appear
 * below a position a reader has passed: gap-free, in a fixed order.
 */
export const POSITIONS_PER_TRANSACTION = 65536;

export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid schema name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}

export function schemaStatements(schema: string): string[] {
  const s = quoteIdentifier(schema);
  const channel = notifyChannel(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.streams (
       stream text PRIMARY KEY,
       revision bigint NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS ${s}.events (
       global_position bigint PRIMARY KEY,
       event_id uuid NOT NULL UNIQUE,
       stream text NOT NULL,
       stream_position bigint NOT NULL,
       type text NOT NULL,
       data jsonb NOT NULL,
       metadata jsonb NOT NULL,
       occurred_at timestamptz NOT NULL DEFAULT now(),
       UNIQUE (stream, stream_position)
     )`,
    // One wake-up per appending statement, delivered by PostgreSQL at commit.
    `CREATE OR REPLACE FUNCTION ${s}.notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_notify('${channel}', ''); RETURN NULL; END $$`,
    `CREATE OR REPLACE TRIGGER events_appended AFTER INSERT ON ${s}.events
       FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_appended()`,
  ];
}
