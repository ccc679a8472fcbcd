/**
 * A store and read models written by Coffer before the design card's event names (schema v1:
 * EventPinged, transactions with `kind`, EventClosed/EventExpired listing the ids they settled,
 * no TransactionPosted for a transaction posted by its event's close, no TransactionVoided) keep
 * working: the ledger rebuilds the same balances from it and goes on writing v2 events after
 * it, the projector rebuilds the old-shaped read models into the current shape and `verify`
 * agrees, and the feed publishes every event upcast, under its current name.
 */
import type { INestMicroservice } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { connect, JSONCodec } from 'nats';
import type { Pool } from 'pg';
import { EVENT_SCHEMA_VERSIONS, feedDataSchema, isPublicEventType, upcastEvent, type EventEnvelope } from '@coffer/contracts';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { createTestDatabase, dropTestStreams, eventually, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { LedgerTestClient, ok, startLedger } from '../../ledger/test/ledger-harness';
import { Generations } from '../src/read-models/generations';
import { verify } from '../src/read-models/rebuild-verify-status';
import { generationDdl, READ_MODEL_SCHEMA_VERSION, readerIndexDdl, viewDdl } from '../src/read-models/schema';
import { startProjector as startHarnessProjector } from './projector-harness';

jest.setTimeout(90000);

const codec = JSONCodec<EventEnvelope>();
const KEY = 'key_v1';

/** `minutes` from now, so the v1 event still open is open for the ledger that reads it. */
const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** A ledger history as v1 wrote it, with v1 metadata. */
function v1History(): NewEvent[] {
  const event = (type: string, data: Record<string, unknown>): NewEvent => ({
    id: randomUUID(),
    type,
    data,
    metadata: { schema_version: 1, correlation_id: randomUUID(), causation_id: null, app_id: 'app_1' },
  });
  const transaction = (transaction_id: number, event_id: number | null, kind: string, user: string, debit: string, credit: string, amount: string) => ({
    transaction_id,
    event_id,
    app_id: kind === 'grant' ? null : 'app_1',
    kind,
    user_id: user,
    debit_account: debit,
    credit_account: credit,
    amount,
    currency: 'coins',
    description: null,
    created_at: at(-10),
  });
  return [
    event('AppRegistered', { app_id: 'app_1', name: 'Old game', registered_at: at(-20) }),
    event('ApiKeyIssued', { app_id: 'app_1', key_id: KEY, key_hash: 'hash', issued_at: at(-20) }),
    event('TransactionPosted', transaction(1, null, 'grant', 'alice', 'treasury', 'user:alice', '1000')),
    // event 1: pinged, a debit and a credit pending, closed (posting both)
    event('EventOpened', { event_id: 1, app_id: 'app_1', description: 'hand 1', opened_at: at(-10), expires_at: at(50) }),
    event('EventPinged', { event_id: 1, pinged_at: at(-9), expires_at: at(51) }),
    event('TransactionPending', transaction(2, 1, 'debit', 'alice', 'user:alice', 'house:app_1', '300')),
    event('TransactionPending', transaction(3, 1, 'credit', 'bob', 'house:app_1', 'user:bob', '50')),
    event('EventClosed', { event_id: 1, closed_at: at(-8), posted_transaction_ids: [2, 3] }),
    // event 2: expired (voiding both)
    event('EventOpened', { event_id: 2, app_id: 'app_1', description: null, opened_at: at(-10), expires_at: at(-9) }),
    event('TransactionPending', transaction(4, 2, 'debit', 'alice', 'user:alice', 'house:app_1', '100')),
    event('TransactionPending', transaction(5, 2, 'credit', 'carol', 'house:app_1', 'user:carol', '70')),
    event('EventExpired', { event_id: 2, expired_at: at(-9), voided_transaction_ids: [4, 5] }),
    event('TransactionPosted', transaction(6, null, 'transfer', 'alice', 'user:alice', 'user:bob', '200')),
    // event 3: still open, a credit pending (the new ledger closes it)
    event('EventOpened', { event_id: 3, app_id: 'app_1', description: null, opened_at: at(-5), expires_at: at(60) }),
    event('TransactionPending', transaction(7, 3, 'credit', 'dave', 'house:app_1', 'user:dave', '5')),
  ];
}

describe('a store and read models written by v1', () => {
  let database: TestDatabase;
  let prefix: string;
  let client: LedgerTestClient;
  let pool: Pool;
  let store: PostgresEventStore;
  const running: INestMicroservice[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('v1store');
    prefix = testNatsPrefix('v1store');
    client = new LedgerTestClient(prefix);
    pool = database.pool();
    store = await PostgresEventStore.connect({ connectionString: database.url });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
    await client.close();
    await store.close();
    await pool.end();
    await dropTestStreams(prefix);
    await database.drop();
  });

  const startProjector = async () => {
    running.push(await startHarnessProjector({ databaseUrl: database.url, prefix }));
  };

  /** Read models as v1 made them: no shape version in the meta table, transactions.kind. */
  const withoutRealm = (sql: string) => sql.replace(/realm text NOT NULL,\s*/g, '').replace(/\(realm, /g, '(');

  async function oldReadModels(): Promise<void> {
    const statements = [
      'CREATE SCHEMA coffer_meta',
      `CREATE TABLE coffer_meta.read_models (
         id boolean PRIMARY KEY DEFAULT true CHECK (id), active_generation int NOT NULL, next_generation int NOT NULL)`,
      // A v1 generation: transactions.kind, and no realm anywhere (shape 8 added it).
      ...generationDdl(1).map((sql) => withoutRealm(sql.replace('type text NOT NULL', 'kind text NOT NULL'))),
      ...readerIndexDdl(1).map(withoutRealm),
      ...viewDdl(1),
      'INSERT INTO coffer_meta.read_models (active_generation, next_generation) VALUES (1, 2)',
    ];
    for (const sql of statements) await pool.query(sql);
    expect((await pool.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'coffer_read' AND column_name = 'kind'`)).rowCount).toBe(1);
  }

  async function caughtUp(): Promise<void> {
    const head = await store.headPosition();
    const generations = new Generations(pool);
    await eventually(async () => {
      try {
        if (!(await generations.servesCurrentShape())) return false;
        const position = (await generations.checkpoint(await generations.active())).position;
        return position !== undefined && head !== undefined && position >= head;
      } catch {
        return false; // not made yet
      }
    }, 'the read models caught up in the current shape', 30000);
  }

  const balance = async (user_id: string) =>
    ok(await client.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id })).balances.find(
      (line) => line.currency === 'coins',
    );

  const readBalances = async () =>
    (await pool.query(`SELECT account, posted::text, pending_debit::text, pending_credit::text FROM coffer_read.accounts WHERE currency = 'coins' ORDER BY account`)).rows;

  it('rebuilds the same balances in the ledger and the read models, goes on in v2, verifies, and feeds the current catalog', async () => {
    const history = v1History();
    await store.append('ledger-default', history, 'no_stream');
    await oldReadModels();
    // While the projector rebuilds them, the older generation still answers reads that say `type`.
    await pool.query(`INSERT INTO coffer_rm_1.transactions SELECT * FROM json_populate_record(null::coffer_rm_1.transactions,
      '{"transaction_id":1,"kind":"grant","user_id":"alice","debit_account":"treasury","credit_account":"user:alice","amount":"1","currency":"coins","status":"posted","created_at":"2026-01-01T00:00:00Z","global_position":"1"}')`);
    await new Generations(pool).keepOlderShapeReadable();
    expect((await pool.query('SELECT type, kind, reverses_transaction_id FROM coffer_read.transactions')).rows).toEqual([{ type: 'grant', kind: 'grant', reverses_transaction_id: null }]);
    expect((await pool.query('SELECT aborted_at FROM coffer_read.finance_events')).rows.every((row) => row.aborted_at === null)).toBe(true);
    // Before realms every row was the default realm's: the realm-filtered reads find them there.
    expect((await pool.query('SELECT realm FROM coffer_read.transactions')).rows).toEqual([{ realm: 'default' }]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM coffer_read.accounts WHERE realm = 'default'`)).rows).toEqual([{ n: 0 }]);
    await pool.query('DELETE FROM coffer_rm_1.transactions');
    running.push(await startLedger({ databaseUrl: database.url, prefix }));

    // The ledger's fold of the v1 store.
    await client.untilAnswered(() => client.query({ type: 'GetBalance', user_id: 'alice' }));
    expect(await balance('alice')).toMatchObject({ posted: '500', pending_debit: '0', available: '500' });
    expect(await balance('bob')).toMatchObject({ posted: '250', pending_credit: '0' });
    expect(await balance('carol')).toMatchObject({ posted: '0', pending_credit: '0' });
    expect(await balance('dave')).toMatchObject({ posted: '0', pending_credit: '5' });

    // It goes on after them: event 3, opened in v1, closes the v2 way.
    const closed = ok(await client.command({ type: 'CloseEvent', data: { event_id: 3 } }, { app_id: 'app_1', key_id: KEY }));
    expect(closed.result).toMatchObject({ event_id: 3, status: 'closed' });
    expect(await balance('dave')).toMatchObject({ posted: '5', pending_credit: '0' });
    const tail = (await store.readStream('ledger-default')).slice(history.length).filter((event) => event.type !== 'WriterTermStarted');
    expect(tail.map((event) => [event.type, event.metadata.schema_version])).toEqual([
      ['TransactionPosted', EVENT_SCHEMA_VERSIONS.TransactionPosted],
      ['EventClosed', EVENT_SCHEMA_VERSIONS.EventClosed],
    ]);
    expect(tail[0].data).toMatchObject({ transaction_id: 7, event_id: 3, type: 'credit', posted_at: expect.any(String) });

    // Until they are rebuilt, verify says the serving read models have an older shape.
    expect((await verify(store, new Generations(pool))).problems).toEqual(
      expect.arrayContaining(['the serving read models have an older shape: rebuild them (the projector does on start)']),
    );
    // The projector finds read models of the old shape: it rebuilds them into the current one.
    await startProjector();
    await caughtUp();
    const [meta] = (await pool.query(`SELECT active_generation, schema_version FROM coffer_meta.read_models`)).rows;
    expect(meta.schema_version).toBe(READ_MODEL_SCHEMA_VERSION); // the shape this code writes
    expect(meta.active_generation).toBeGreaterThan(1); // a new generation, the old one dropped
    await eventually(async () => (await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'coffer_rm_1'`)).rowCount === 0, 'the old generation dropped');
    expect(await readBalances()).toEqual([
      { account: 'house:app_1', posted: '245', pending_debit: '0', pending_credit: '0' },
      { account: 'treasury', posted: '-1000', pending_debit: '0', pending_credit: '0' },
      { account: 'user:alice', posted: '500', pending_debit: '0', pending_credit: '0' },
      { account: 'user:bob', posted: '250', pending_debit: '0', pending_credit: '0' },
      { account: 'user:carol', posted: '0', pending_debit: '0', pending_credit: '0' },
      { account: 'user:dave', posted: '5', pending_debit: '0', pending_credit: '0' },
    ]);
    const transactions = await pool.query(`SELECT transaction_id::int, type, status FROM coffer_read.transactions ORDER BY transaction_id`);
    expect(transactions.rows).toEqual([
      { transaction_id: 1, type: 'grant', status: 'posted' },
      { transaction_id: 2, type: 'debit', status: 'posted' },
      { transaction_id: 3, type: 'credit', status: 'posted' },
      { transaction_id: 4, type: 'debit', status: 'voided' },
      { transaction_id: 5, type: 'credit', status: 'voided' },
      { transaction_id: 6, type: 'transfer', status: 'posted' },
      { transaction_id: 7, type: 'credit', status: 'posted' },
    ]);
    const report = await verify(store, new Generations(pool));
    expect(report.problems).toEqual([]);

    // The feed publishes every event in the current catalog's names and shapes.
    const stream = `${prefix.toUpperCase()}_EVENTS`;
    let published: Array<{ subject: string; envelope: EventEnvelope }> = [];
    // Every public event (API key issuance and writer terms are internal: not on the feed).
    const publicCount = [...history, ...tail].filter((event) => isPublicEventType(upcastEvent(event).type)).length;
    await eventually(async () => (published = await streamMessages(stream)).length >= publicCount, 'every public event on the feed');
    expect(published).toHaveLength(publicCount);
    const types = published.map((message) => message.envelope.type);
    expect(types).not.toContain('EventPinged');
    expect(types.filter((type) => type === 'Pinged')).toHaveLength(1);
    for (const { subject, envelope } of published) {
      expect(isPublicEventType(envelope.type)).toBe(true);
      expect(feedDataSchema(envelope.type, envelope.metadata.schema_version)).toBeDefined();
      expect(subject).toBe(`${prefix}.events.ledger.${envelope.type}`);
      expect(envelope.metadata.schema_version).toBe(EVENT_SCHEMA_VERSIONS[envelope.type as keyof typeof EVENT_SCHEMA_VERSIONS]);
      expect(envelope.data).not.toHaveProperty('kind');
      expect(envelope.data).not.toHaveProperty('posted_transaction_ids');
      expect(envelope.data).not.toHaveProperty('voided_transaction_ids');
    }
    expect(published.find((message) => message.envelope.type === 'TransactionPending')?.envelope.data).toMatchObject({ transaction_id: 2, type: 'debit' });
    expect(published.find((message) => message.envelope.type === 'TransactionPosted')?.envelope.data).toMatchObject({
      transaction_id: 1,
      type: 'grant',
      posted_at: expect.any(String),
    });
    expect(published.find((message) => message.envelope.type === 'EventClosed')?.envelope.data).toEqual({ event_id: 1, closed_at: expect.any(String) });
    // The close the new ledger decided put a TransactionPosted for its pending transaction on the feed, before EventClosed.
    expect(published.slice(-2).map(({ subject, envelope }) => [subject, envelope.type, (envelope.data as { transaction_id?: number }).transaction_id])).toEqual([
      [`${prefix}.events.ledger.TransactionPosted`, 'TransactionPosted', 7],
      [`${prefix}.events.ledger.EventClosed`, 'EventClosed', undefined],
    ]);
  });

  async function streamMessages(stream: string): Promise<Array<{ subject: string; envelope: EventEnvelope }>> {
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(stream).catch(() => undefined);
      const out: Array<{ subject: string; envelope: EventEnvelope }> = [];
      if (!info || info.state.messages === 0) return out;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq });
        out.push({ subject: message.subject, envelope: codec.decode(message.data) });
      }
      return out;
    } finally {
      await nc.close();
    }
  }
});
