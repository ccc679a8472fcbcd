import { createTestDatabase, eventually, type TestDatabase } from '@coffer/testing';
import { events, runEventStoreContract, uniqueStream } from '../test/contract-suite';
import type { EventHandler, EventStore, RecordedEvent, SubscribeOptions, Subscription } from './port';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { SharedReader } from './shared-reader';

jest.setTimeout(30000);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('shared_reader');
});

afterAll(async () => {
  await database?.drop();
});

/** The store with its subscriptions made through a SharedReader: the port's contract holds for them too. */
runEventStoreContract('PostgreSQL, subscribed through a SharedReader', async () => {
  const store = await PostgresEventStore.connect({ connectionString: database.url, schema: 'shared_contract' });
  const reader = new SharedReader(store, { batchSize: 50, minReadIntervalMs: 5 });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'subscribeToAll') return reader.subscribeToAll.bind(reader);
      if (property === 'close') return async () => (await reader.close(), await target.close());
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
});

/** The store, counting what its reads hand out: how many reads, and how many events they parsed. */
class CountingStore implements Pick<EventStore, 'subscribeToAll'> {
  reads: Array<{ after: bigint | undefined; subscription: Subscription }> = [];
  eventsRead = 0;
  constructor(private readonly store: EventStore) {}
  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription {
    const subscription = this.store.subscribeToAll(async (batch) => {
      this.eventsRead += batch.length;
      await handler(batch);
    }, options);
    this.reads.push({ after: options?.after, subscription });
    return subscription;
  }
}

const ids = (list: RecordedEvent[]) => list.map((event) => event.id);

describe('SharedReader', () => {
  let store: PostgresEventStore;
  let counting: CountingStore;
  let reader: SharedReader;
  let all: RecordedEvent[];

  beforeEach(async () => {
    // A schema per test: positions and counts start from an empty store.
    store = await PostgresEventStore.connect({ connectionString: database.url, schema: uniqueStream('shared').replace(/-/g, '_') });
    counting = new CountingStore(store);
    reader = new SharedReader(counting, { batchSize: 10, minReadIntervalMs: 1 });
    for (let i = 0; i < 5; i++) await store.append(uniqueStream(), events(6));
    all = await store.readAll();
    expect(all).toHaveLength(30);
  });

  afterEach(async () => {
    await reader.close();
    await store.close();
  });

  /** A consumer collecting what it is handed, in batches. */
  function collector() {
    const seen: RecordedEvent[] = [];
    const batches: number[] = [];
    const handler: EventHandler = async (batch) => {
      seen.push(...batch);
      batches.push(batch.length);
    };
    return { seen, batches, handler };
  }

  it('reads each event once for every consumer, and hands each consumer every event after its own position, in order', async () => {
    const first = collector();
    const second = collector();
    const a = reader.subscribeToAll(first.handler);
    const b = reader.subscribeToAll(second.handler, { after: all[11].globalPosition, batchSize: 4 });
    await eventually(() => first.seen.length === 30 && second.seen.length === 18, 'both consumers caught up');
    expect(ids(first.seen)).toEqual(ids(all));
    expect(ids(second.seen)).toEqual(ids(all.slice(12)));
    // Read in batches of 10; the second consumer asked for at most 4 at a time and got its slices.
    expect(Math.max(...first.batches)).toBe(10);
    expect(Math.max(...second.batches)).toBe(4);
    expect(counting.reads).toHaveLength(1);
    expect(counting.eventsRead).toBe(30);
    expect(a.position).toBe(all[29].globalPosition);
    expect(b.position).toBe(all[29].globalPosition);
    // Live appends reach both through the same read.
    await store.append(uniqueStream(), events(3));
    await eventually(() => first.seen.length === 33 && second.seen.length === 21, 'the live events');
    expect(ids(second.seen.slice(18))).toEqual(ids(first.seen.slice(30)));
    expect(counting.reads).toHaveLength(1);
    expect(counting.eventsRead).toBe(33);
  });

  it('reads again from the lowest position when a consumer joins behind the read, the others skipping what they have handled', async () => {
    const ahead = collector();
    reader.subscribeToAll(ahead.handler, { after: all[19].globalPosition });
    await eventually(() => ahead.seen.length === 10, 'the consumer ahead');
    const behind = collector();
    reader.subscribeToAll(behind.handler, { after: all[4].globalPosition });
    await eventually(() => behind.seen.length === 25, 'the consumer behind');
    expect(ids(behind.seen)).toEqual(ids(all.slice(5)));
    expect(ids(ahead.seen)).toEqual(ids(all.slice(20))); // nothing twice
    expect(counting.reads.map((read) => read.after)).toEqual([all[19].globalPosition, all[4].globalPosition]);
    await counting.reads[0].subscription.done; // the first read ended: one read at a time
  });

  it('drops a consumer whose handler fails without moving it past the failed batch, while the other goes on; joining again from its position it loses and repeats nothing', async () => {
    const healthy = collector();
    reader.subscribeToAll(healthy.handler);
    const handled: RecordedEvent[] = [];
    let calls = 0;
    const failing = reader.subscribeToAll(
      async (batch) => {
        if (++calls === 2) throw new Error('read models refused');
        handled.push(...batch);
      },
      { batchSize: 5 },
    );
    await expect(failing.done).rejects.toThrow('read models refused');
    expect(failing.position).toBe(all[4].globalPosition);
    await eventually(() => healthy.seen.length === 30, 'the healthy consumer');
    expect(ids(healthy.seen)).toEqual(ids(all));
    // Restarted from its own checkpoint, as its loop does.
    const again = reader.subscribeToAll(async (batch) => void handled.push(...batch), { after: failing.position });
    await eventually(() => handled.length === 30, 'the restarted consumer');
    expect(ids(handled)).toEqual(ids(all));
    expect(ids(healthy.seen)).toEqual(ids(all));
    expect(again.position).toBe(all[29].globalPosition);
  });

  it('stops reading when its only consumer fails, and reads again from that consumer\'s position when it joins again', async () => {
    const failing = reader.subscribeToAll(async (batch) => {
      if (batch[0].globalPosition > all[9].globalPosition) throw new Error('refused');
    });
    await expect(failing.done).rejects.toThrow('refused');
    expect(failing.position).toBe(all[9].globalPosition);
    await counting.reads[0].subscription.done; // nobody to read for
    const again = collector();
    reader.subscribeToAll(again.handler, { after: failing.position });
    await eventually(() => again.seen.length === 20, 'the rest');
    expect(ids(again.seen)).toEqual(ids(all.slice(10)));
    expect(counting.reads.map((read) => read.after)).toEqual([undefined, all[9].globalPosition]);
  });

  it('reads the next batch only once every consumer has taken this one: a slow consumer holds the read, never more than a batch in memory', async () => {
    const fast = collector();
    reader.subscribeToAll(fast.handler);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = collector();
    reader.subscribeToAll(async (batch) => {
      await held;
      await slow.handler(batch);
    });
    await eventually(() => fast.seen.length === 10, 'the first batch');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fast.seen).toHaveLength(10);
    expect(counting.eventsRead).toBe(10);
    release();
    await eventually(() => fast.seen.length === 30 && slow.seen.length === 30, 'the rest');
  });

  it('filters a consumer by type while moving its position over the rest', async () => {
    await store.append(uniqueStream(), events(2, 'Wanted'));
    const wanted = collector();
    const subscription = reader.subscribeToAll(wanted.handler, { eventTypes: ['Wanted'] });
    await eventually(() => wanted.seen.length === 2, 'the wanted events');
    expect(wanted.seen.map((event) => event.type)).toEqual(['Wanted', 'Wanted']);
    expect(subscription.position).toBe(wanted.seen[1].globalPosition);
  });

  it('stops handing events to a consumer once its stop() resolves, waiting for its batch in hand; with no consumer left it stops reading', async () => {
    const staying = collector();
    reader.subscribeToAll(staying.handler, { batchSize: 5 });
    let inHandler = false;
    let afterStop = 0;
    let stopped = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const leaving = reader.subscribeToAll(async () => {
      if (stopped) afterStop++;
      inHandler = true;
      await held;
      inHandler = false;
    });
    await eventually(() => inHandler, 'the leaving consumer in its handler');
    const stopping = leaving.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false); // its batch is still in hand
    release();
    await stopping;
    expect(inHandler).toBe(false);
    await leaving.done;
    await eventually(() => staying.seen.length === 30, 'the staying consumer');
    await store.append(uniqueStream(), events(2));
    await eventually(() => staying.seen.length === 32, 'live events for the staying consumer');
    expect(afterStop).toBe(0);
    expect(ids(staying.seen.slice(0, 30))).toEqual(ids(all));
    // The last consumer leaving ends the read; closing ends what is left.
    const last = reader.subscribeToAll(async () => undefined, { after: staying.seen[31].globalPosition });
    await reader.close();
    await last.done;
    await Promise.all(counting.reads.map((read) => read.subscription.done));
    const late = reader.subscribeToAll(async () => undefined);
    await late.done; // a closed reader ends a new subscription at once
  });

  it('stops reading when its last consumer leaves, and reads again from the position of the next one to join', async () => {
    const first = collector();
    const a = reader.subscribeToAll(first.handler);
    await eventually(() => first.seen.length === 30, 'every event');
    await a.stop();
    await eventually(async () => {
      await counting.reads[0].subscription.done;
      return true;
    }, 'the read to end');
    const second = collector();
    reader.subscribeToAll(second.handler, { after: all[24].globalPosition });
    await eventually(() => second.seen.length === 5, 'the events after its position');
    expect(ids(second.seen)).toEqual(ids(all.slice(25)));
    expect(counting.reads.map((read) => read.after)).toEqual([undefined, all[24].globalPosition]);
  });
});
