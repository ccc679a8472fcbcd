import { Client } from 'pg';
import { createTestDatabase, eventually, readAllCommitted, type TestDatabase } from '@coffer/testing';
import { ContentRefusedError, DuplicateEventIdError } from '../errors';
import type { RecordedEvent } from '../port';
import { events, newEvent, runEventStoreContract, uniqueStream } from '../../test/contract-suite';
import { PostgresEventStore } from './postgres-event-store';
import { POSITIONS_PER_TRANSACTION } from './schema';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('event_store');
});

afterAll(async () => {
  await database?.drop();
});

runEventStoreContract('PostgreSQL', () => PostgresEventStore.connect({ connectionString: database.url }));

describe('PostgreSQL event store specifics', () => {
  let store: PostgresEventStore;

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString: database.url, schema: 'specifics' });
  });

  afterAll(async () => {
    await store?.close();
  });

  it.each([
    ['54000 (program limit exceeded: also a full NOTIFY queue)', '54000', false],
    ['22003 (a number out of range: also a stream revision past bigint)', '22003', false],
    ['22P05 (U+0000 in jsonb)', '22P05', true],
    ['22021 (U+0000 in text)', '22021', true],
  ])('takes SQLSTATE %s for content only when it can only be content', async (_case, sqlstate, content) => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const table = `"specifics".events`;
    try {
      await client.query(`CREATE OR REPLACE FUNCTION "specifics".refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$
                            BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '${sqlstate}'; END $$`);
      await client.query(`CREATE TRIGGER refuse_all BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION "specifics".refuse_all()`);
      const refused = store.append(uniqueStream(), events(1));
      if (content) await expect(refused).rejects.toBeInstanceOf(ContentRefusedError);
      else await expect(refused).rejects.toMatchObject({ code: sqlstate });
    } finally {
      await client.query(`DROP TRIGGER IF EXISTS refuse_all ON ${table}`);
      await client.end();
    }
  });

  it('refuses an event id that is already stored, writing nothing', async () => {
    const stream = uniqueStream();
    const [first] = events(1);
    await store.append(stream, [first]);
    const again = store.append(stream, [newEvent(), { ...first }]);
    await expect(again).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(again).rejects.toMatchObject({ eventId: first.id });
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('creates its schema idempotently when several services start at once', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => PostgresEventStore.connect({ connectionString: database.url, schema: 'racing' })),
    );
    await stores[0].append(uniqueStream(), events(1));
    expect(await readAllCommitted(stores[3])).toHaveLength(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('holds back an event committed ahead of a slower, earlier transaction (the gap problem)', async () => {
    const seen: RecordedEvent[] = [];
    const before = await store.headPosition();
    const subscription = store.subscribeToAll(
      async (batch) => {
        seen.push(...batch);
      },
      { after: before },
    );
    // A slow writer takes its transaction id first and inserts, but commits last.
    const slow = new Client({ connectionString: database.url });
    await slow.connect();
    await slow.query('BEGIN');
    const slowEvent = newEvent('Slow');
    await slow.query(
      `INSERT INTO specifics.events (global_position, event_id, stream, stream_position, type, data, metadata)
       VALUES (pg_current_xact_id()::text::bigint * ${POSITIONS_PER_TRANSACTION}, $1, 'slow', 0, 'Slow', '{}', $2)`,
      [slowEvent.id, JSON.stringify(slowEvent.metadata)],
    );
    const fast = await store.append(uniqueStream('fast'), [newEvent('Fast')]);
    // The fast event is committed and readable by id, but no subscriber may see it yet:
    // the slow transaction's event sorts before it.
    expect(await store.readStream(fast.stream)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual([]);
    expect(await store.readAll({ after: before })).toEqual([]);

    await slow.query('COMMIT');
    await slow.end();
    await eventually(() => seen.length === 2, 'both events');
    await subscription.stop();
    expect(seen.map((e) => e.type)).toEqual(['Slow', 'Fast']);
    expect(seen[0].globalPosition).toBeLessThan(seen[1].globalPosition);
  });

  it('wakes a subscriber after a running transaction rolls back instead of notifying', async () => {
    const before = await store.headPosition();
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribeToAll(
      async (batch) => {
        seen.push(...batch);
      },
      { after: before },
    );
    const aborted = new Client({ connectionString: database.url });
    await aborted.connect();
    await aborted.query('BEGIN');
    const doomed = newEvent('Doomed');
    await aborted.query(
      `INSERT INTO specifics.events (global_position, event_id, stream, stream_position, type, data, metadata)
       VALUES (pg_current_xact_id()::text::bigint * ${POSITIONS_PER_TRANSACTION}, $1, 'doomed', 0, 'Doomed', '{}', $2)`,
      [doomed.id, JSON.stringify(doomed.metadata)],
    );
    await store.append(uniqueStream(), [newEvent('AfterAbort')]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    await aborted.query('ROLLBACK');
    await aborted.end();
    await eventually(() => seen.length === 1, 'the event behind the aborted transaction');
    await subscription.stop();
    expect(seen[0].type).toBe('AfterAbort');
  });

  it('does not hold readers back behind a running transaction that never appends', async () => {
    // Read-model batches, idempotency rows and other databases' work all hold transaction ids;
    // only appenders can still fill a gap, so only they set the horizon (horizon.ts).
    const bystander = new Client({ connectionString: database.url });
    await bystander.connect();
    await bystander.query('CREATE TABLE IF NOT EXISTS bystander (n int)');
    await bystander.query('BEGIN');
    await bystander.query('INSERT INTO bystander VALUES (1)');
    const before = await store.headPosition();
    const written = await store.append(uniqueStream(), [newEvent('Passing')]);
    const read = await store.readAll({ after: before });
    await bystander.query('ROLLBACK');
    await bystander.end();
    expect(read.map((event) => event.globalPosition)).toContain(written.lastGlobalPosition);
  });

  it('refuses an append with no events', async () => {
    await expect(store.append(uniqueStream(), [])).rejects.toThrow(RangeError);
    await expect(store.appendMany([])).rejects.toThrow(RangeError);
  });
});
