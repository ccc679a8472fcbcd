import { randomUUID } from 'node:crypto';
import { connect, JSONCodec } from 'nats';
import type { Pool } from 'pg';
import type { EventEnvelope } from '@coffer/contracts';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, eventually, PrivateNats, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { AnalyticsFeed } from '../src/feed/analytics-feed';

jest.setTimeout(60000);

const codec = JSONCodec<EventEnvelope>();
const logger = new JsonLogger('projector', 'error');

function posted(i: number): NewEvent {
  return {
    id: randomUUID(),
    type: i % 5 === 0 ? 'EventOpened' : 'TransactionPosted',
    data: { i },
    metadata: { schema_version: 1, correlation_id: randomUUID(), causation_id: null, app_id: 'app_1' },
  };
}

async function streamContents(natsUrl: string, stream: string): Promise<EventEnvelope[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const out: EventEnvelope[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      out.push(codec.decode((await jsm.streams.getMessage(stream, { seq })).data));
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** How many messages the stream holds; -1 while it cannot be read (not made yet, or NATS restarting). */
function streamLength(natsUrl: string, stream: string): Promise<number> {
  return streamContents(natsUrl, stream).then(
    (events) => events.length,
    () => -1,
  );
}

function expectExactlyOnceInOrder(published: EventEnvelope[], written: string[]): void {
  expect(published.map((e) => e.id)).toEqual(written);
  for (let i = 1; i < published.length; i++) {
    expect(BigInt(published[i].global_position)).toBeGreaterThan(BigInt(published[i - 1].global_position));
  }
}

describe('analytics feed on JetStream', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let pool: Pool;
  let prefix: string;

  beforeEach(async () => {
    database = await createTestDatabase('feed');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    pool = database.pool();
    prefix = testNatsPrefix('feed');
  });

  afterEach(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  it('publishes every event once, in store order, across a publisher restart', async () => {
    const written: string[] = [];
    const write = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const batch = [posted(written.length), posted(written.length + 1)];
        written.push(...batch.map((e) => e.id));
        await store.append(`ledger-${i % 3}`, batch);
      }
    };
    await write(20);
    const stream = `${prefix.toUpperCase()}_EVENTS`;
    let feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger, pool);
    feed.start();
    await eventually(async () => (await streamLength(testNatsUrl(), stream)) === 40, 'the first events');
    await feed.stop();
    await write(15);
    feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger, pool);
    feed.start();
    await write(5);
    await eventually(async () => (await streamLength(testNatsUrl(), stream)) >= written.length, 'every event');
    await feed.stop();
    const published = await streamContents(testNatsUrl(), stream);
    expectExactlyOnceInOrder(published, written);
    expect(published[0]).toMatchObject({ type: 'EventOpened', stream: 'ledger-0', stream_position: '0', data: { i: 0 } });
    await dropTestStreams(prefix);
  });

  it('quarantines an event no NATS message can carry, and publishes the events around it in order', async () => {
    const nc = await connect({ servers: testNatsUrl() });
    const maxPayload = nc.info!.max_payload;
    await nc.close();
    const huge: NewEvent = { ...posted(1), data: { description: 'x'.repeat(maxPayload) } };
    const before = [posted(0)];
    const after = [posted(2), posted(3)];
    await store.append('ledger-default', before);
    await store.append('ledger-default', [huge]);
    await store.append('ledger-default', after);
    const stream = `${prefix.toUpperCase()}_EVENTS`;
    const feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger, pool);
    feed.start();
    await eventually(async () => (await streamLength(testNatsUrl(), stream)) === 3, 'the events around it');
    await feed.stop();
    expectExactlyOnceInOrder(await streamContents(testNatsUrl(), stream), [...before, ...after].map((event) => event.id));
    const { rows } = await pool.query('SELECT consumer, event_id, type, error FROM coffer_meta.quarantine');
    expect(rows).toEqual([{ consumer: 'feed', event_id: huge.id, type: 'TransactionPosted', error: expect.stringMatching(/exceeds the \d+ bytes a NATS message may carry/) }]);
    await dropTestStreams(prefix);
  });

  it('makes its stream on a later attempt when it could not at first, saying so once, and then publishes everything', async () => {
    const stream = `${prefix.toUpperCase()}_EVENTS`;
    // Another stream holds the feed's subjects: JetStream refuses the feed's stream, as it does
    // while JetStream is not ready just after a NATS start.
    const nc = await connect({ servers: testNatsUrl() });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: `${stream}_BLOCKER`, subjects: [`${prefix}.events.>`] });
    const written = [posted(0), posted(1), posted(2)];
    await store.append('ledger-default', written);
    const lines: string[] = [];
    const feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, new JsonLogger('projector', 'debug', (line) => lines.push(line)), pool);
    try {
      feed.start();
      const paused = () => lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'analytics feed paused, resuming from the stream');
      await eventually(async () => paused().length >= 3, 'a few attempts');
      expect(paused().map((line) => line.level)).toEqual(['warn', ...paused().slice(1).map(() => 'debug')]);
      expect(paused()[0].error).toMatch(/overlap/);
      await jsm.streams.delete(`${stream}_BLOCKER`);
      // The feed makes its stream on a later attempt: until then there is none to read.
      await eventually(async () => (await streamContents(testNatsUrl(), stream).catch(() => [])).length === written.length, 'every event');
      expectExactlyOnceInOrder(await streamContents(testNatsUrl(), stream), written.map((event) => event.id));
    } finally {
      await feed.stop();
      await nc.close();
      await dropTestStreams(prefix);
    }
  });

  it('loses and duplicates nothing when the NATS server dies and comes back', async () => {
    const nats = new PrivateNats();
    try {
      await nats.start();
      const written: string[] = [];
      const write = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const event = posted(written.length);
          written.push(event.id);
          await store.append('ledger-default', [event]);
        }
      };
      const feed = new AnalyticsFeed(store, { natsUrl: nats.url }, prefix, logger, pool);
      feed.start();
      await write(30);
      const stream = `${prefix.toUpperCase()}_EVENTS`;
      await eventually(async () => (await streamLength(nats.url, stream)) === 30, 'events before the crash');
      await nats.kill();
      await write(25);
      await nats.start();
      await write(10);
      await eventually(async () => (await streamLength(nats.url, stream)) >= 65, 'every event after the restart', 30000);
      await feed.stop();
      expectExactlyOnceInOrder(await streamContents(nats.url, stream), written);
    } finally {
      await nats.stop();
    }
  });
});
