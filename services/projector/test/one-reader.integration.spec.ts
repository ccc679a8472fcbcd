import type { INestMicroservice } from '@nestjs/common';
import { connect, DiscardPolicy, JSONCodec, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { isPublicEventType, subjects, type EventEnvelope } from '@coffer/contracts';
import { PostgresEventStore } from '@coffer/event-store';
import { createTestDatabase, dropTestStreams, eventually, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { LedgerTestClient, ok, startLedger } from '../../ledger/test/ledger-harness';
import { Generations } from '../src/read-models/generations';
import { startProjector } from './projector-harness';

jest.setTimeout(90000);

const codec = JSONCodec<EventEnvelope>();

/**
 * The projector process reads the store once for its read models and its feed (SharedReader).
 * When the feed fails on every batch, the read models go on; once the feed can publish again it
 * resumes from its own position and publishes every event once, in order.
 */
describe('one store reader for the read models and the feed', () => {
  let database: TestDatabase;
  let prefix: string;
  let client: LedgerTestClient;
  let pool: Pool;
  let store: PostgresEventStore;
  let nc: NatsConnection;
  const running: INestMicroservice[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('one_reader');
    prefix = testNatsPrefix('one_reader');
    client = new LedgerTestClient(prefix);
    pool = database.pool();
    running.push(await startLedger({ databaseUrl: database.url, prefix }));
    store = await PostgresEventStore.connect({ connectionString: database.url });
    nc = await connect({ servers: testNatsUrl() });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
    await client.close();
    await nc.close();
    await store.close();
    await pool.end();
    await dropTestStreams(prefix);
    await database.drop();
  });

  /** Where the read models stand; undefined until the projector has made them. */
  const projectedThrough = async () => {
    const generations = new Generations(pool);
    try {
      return (await generations.checkpoint(await generations.active())).position;
    } catch {
      return undefined;
    }
  };

  async function streamIds(stream: string): Promise<string[]> {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const ids: string[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      ids.push(codec.decode((await jsm.streams.getMessage(stream, { seq })).data).id);
    }
    return ids;
  }

  it('keeps projecting while the feed fails on every batch, and the feed then publishes every event once, in order', async () => {
    const names = subjects(prefix);
    // The feed's stream, made beforehand to take 3 messages and refuse every one after them.
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({
      name: names.eventsStream,
      subjects: [names.allEvents],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: 2 * 60 * 1_000_000_000,
      max_msgs: 3,
      discard: DiscardPolicy.New,
    });
    running.push(await startProjector({ databaseUrl: database.url, prefix }));
    const users = Array.from({ length: 12 }, (_, i) => `user_${i}`);
    const grant = async (user: string) => ok(await client.command({ type: 'Grant', data: { user_id: user, amount: '100', currency: 'coins', description: null } }));
    for (const user of users.slice(0, 4)) await grant(user);
    await eventually(async () => (await streamIds(names.eventsStream)).length === 3, 'the feed stuck after 3 messages');
    for (const user of users.slice(4)) await grant(user);
    const head = await store.headPosition();
    // The read models reach the head although the feed is refused on every attempt (and each
    // retry makes the shared read start again from the feed's position).
    await eventually(async () => {
      const through = await projectedThrough();
      return through !== undefined && head !== undefined && through >= head;
    }, 'the read models at the head');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM coffer_read.accounts WHERE account LIKE 'user:%'`);
    expect(rows[0].n).toBe(users.length);
    expect(await streamIds(names.eventsStream)).toHaveLength(3);
    // The stream takes everything again: the feed goes on from its own position.
    await jsm.streams.update(names.eventsStream, { max_msgs: -1 });
    const published = (await store.readAll({ maxCount: 10000 })).filter((event) => isPublicEventType(event.type)).map((event) => event.id);
    expect(published).toHaveLength(users.length); // one grant each, 3 of them published before the limit
    await eventually(async () => (await streamIds(names.eventsStream)).length >= published.length, 'every public event in the stream');
    expect(await streamIds(names.eventsStream)).toEqual(published);
    // The read models took nothing twice while the shared read went back for the feed.
    const balances = await pool.query(`SELECT posted::text FROM coffer_read.accounts WHERE account LIKE 'user:%' AND currency = 'coins'`);
    expect(balances.rows.map((row: { posted: string }) => row.posted)).toEqual(users.map(() => '100'));
  });
});
