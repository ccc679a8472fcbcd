/**
 * The behaviour every event store adapter must have. Runs against PostgreSQL always and against
 * EventStoreDB whenever EVENTSTORE_URL is set (see esdb-event-store.spec.ts).
 */
import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@coffer/contracts';
import { eventually } from '@coffer/testing';
import { ContentRefusedError, WrongExpectedRevisionError } from '../src/errors';
import type { EventStore, NewEvent, RecordedEvent } from '../src/port';

export function newEvent(type = 'Tested', data: Record<string, unknown> = {}): NewEvent {
  const metadata: EventMetadata = {
    schema_version: 1,
    correlation_id: randomUUID(),
    causation_id: null,
    app_id: null,
  };
  return { id: randomUUID(), type, data, metadata };
}

export function events(count: number, type = 'Tested'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(type, { i }));
}

export function uniqueStream(label = 'stream'): string {
  return `${label}-${randomUUID()}`;
}

/**
 * Reads all events after `after` once `lastId` is among them. A store may hold fresh events back
 * for a moment while an earlier append is still running (the gap rule); an assertion on a single
 * read could then see a partial list.
 */
async function readAllThrough(store: EventStore, after: bigint | undefined, lastId: string): Promise<RecordedEvent[]> {
  let read: RecordedEvent[] = [];
  await eventually(async () => {
    read = await store.readAll({ after, maxCount: 100 });
    return read.some((event) => event.id === lastId);
  }, `event ${lastId} to become readable`);
  return read;
}

export function runEventStoreContract(name: string, connect: () => Promise<EventStore>): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;

    beforeAll(async () => {
      store = await connect();
    });

    afterAll(async () => {
      await store?.close();
    });

    describe('append and read a stream', () => {
      it('numbers a new stream from 0 and reads it forwards and backwards', async () => {
        const stream = uniqueStream();
        const written = events(3);
        const result = await store.append(stream, written, 'no_stream');
        expect(result.nextExpectedRevision).toBe(2n);

        const forwards = await store.readStream(stream);
        expect(forwards.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expect(forwards.map((e) => e.streamPosition)).toEqual([0n, 1n, 2n]);
        expect(forwards[2].globalPosition).toBe(result.lastGlobalPosition);
        expect(forwards[0].data).toEqual({ i: 0 });
        expect(forwards[0].metadata.correlation_id).toBe(written[0].metadata.correlation_id);
        expect(forwards[0].occurredAt).toBeInstanceOf(Date);

        const backwards = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
        expect(backwards.map((e) => e.streamPosition)).toEqual([2n, 1n]);

        const fromOne = await store.readStream(stream, { fromRevision: 1n });
        expect(fromOne.map((e) => e.streamPosition)).toEqual([1n, 2n]);
      });

      it('reads a missing stream as empty', async () => {
        expect(await store.readStream(uniqueStream('missing'))).toEqual([]);
      });

      it('keeps exact values of every JSON type in data', async () => {
        const stream = uniqueStream();
        const data = { amount: '169015299834642432', nested: { list: [1, 'two', null, true] }, text: 'ünï €' };
        await store.append(stream, [newEvent('Exact', data)]);
        const [read] = await store.readStream(stream);
        expect(read.data).toEqual(data);
        expect(read.type).toBe('Exact');
      });
    });

    describe('content the store cannot hold', () => {
      it.each<[string, (event: NewEvent) => NewEvent]>([
        ['U+0000 in data', (event) => ({ ...event, data: { description: 'a\u0000b' } })],
        ['a lone surrogate in data', (event) => ({ ...event, data: { name: 'n\ud800' } })],
        ['a lone surrogate in a key', (event) => ({ ...event, data: { ['k\udc00']: 1 } })],
        ['U+0000 in metadata', (event) => ({ ...event, metadata: { ...event.metadata, correlation_id: 'c\u0000' } })],
        ['a lone surrogate in the type', (event) => ({ ...event, type: 'Poisoned\ud800' })],
        ['U+0000 in the type', (event) => ({ ...event, type: 'Poi\u0000soned' })],
      ])('refuses %s as content, writes nothing of the append, and takes the next one', async (_case, poison) => {
        const stream = uniqueStream('poison');
        await store.append(stream, events(1), 'no_stream');
        const refused = store.append(stream, [newEvent('Good'), poison(newEvent('Poisoned'))], 0n);
        await expect(refused).rejects.toBeInstanceOf(ContentRefusedError);
        // The reason names the rule, never the content.
        await expect(refused).rejects.toThrow(/^the event store refused the content of this append: [^\u0000\ud800-\udfff]*$/);
        expect(await store.readStream(stream)).toHaveLength(1);
        const next = await store.append(stream, [newEvent('AfterPoison')], 0n);
        expect(next.nextExpectedRevision).toBe(1n);
      });

      it('refuses a lone surrogate in the stream name as content, and writes nothing', async () => {
        const stream = uniqueStream('poison\udc00');
        await expect(store.append(stream, events(1), 'any')).rejects.toBeInstanceOf(ContentRefusedError);
        expect(await store.readStream(stream.replace('\udc00', '\ufffd'))).toEqual([]);
      });
    });

    describe('optimistic concurrency', () => {
      it('appends at the expected revision and refuses a stale one', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(2), 'no_stream');
        const next = await store.append(stream, events(1), 1n);
        expect(next.nextExpectedRevision).toBe(2n);

        const stale = store.append(stream, events(1), 1n);
        await expect(stale).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        await expect(stale).rejects.toMatchObject({ stream, expected: 1n, actual: 2n });
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('refuses no_stream on an existing stream and stream_exists on a missing one', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(1), 'no_stream');
        await expect(store.append(stream, events(1), 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);

        const missing = uniqueStream('missing');
        await expect(store.append(missing, events(1), 'stream_exists')).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
        expect(await store.readStream(missing)).toEqual([]);
        await store.append(stream, events(1), 'stream_exists');
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('appends without a check when any revision is expected', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(1), 'any');
        const result = await store.append(stream, events(2), 'any');
        expect(result.nextExpectedRevision).toBe(2n);
      });

      it('lets exactly one of many concurrent writers win each revision', async () => {
        const stream = uniqueStream('race');
        const writers = 12;
        const rounds = 5;
        let expected: bigint | 'no_stream' = 'no_stream';
        for (let round = 0; round < rounds; round++) {
          const attempts = await Promise.allSettled(
            Array.from({ length: writers }, () => store.append(stream, events(2), expected)),
          );
          const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
          const lost = attempts.filter((attempt) => attempt.status === 'rejected');
          expect(won).toHaveLength(1);
          for (const attempt of lost) {
            expect((attempt as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
          }
          expected = (won[0] as PromiseFulfilledResult<{ nextExpectedRevision: bigint }>).value.nextExpectedRevision;
        }
        const all = await store.readStream(stream);
        expect(all.map((e) => e.streamPosition)).toEqual(Array.from({ length: rounds * 2 }, (_, i) => BigInt(i)));
      });
    });

    describe('appending to several streams at once', () => {
      it('writes all streams or none', async () => {
        if (!store.supportsMultiStreamAppend) {
          await expect(
            store.appendMany([
              { stream: uniqueStream(), events: events(1), expectedRevision: 'any' },
              { stream: uniqueStream(), events: events(1), expectedRevision: 'any' },
            ]),
          ).rejects.toThrow(/several streams/);
          return;
        }
        const a = uniqueStream('a');
        const b = uniqueStream('b');
        await store.append(b, events(1), 'no_stream');

        const failing = store.appendMany([
          { stream: a, events: events(2), expectedRevision: 'no_stream' },
          { stream: b, events: events(1), expectedRevision: 'no_stream' },
        ]);
        await expect(failing).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(a)).toEqual([]);
        expect(await store.readStream(b)).toHaveLength(1);

        const results = await store.appendMany([
          { stream: a, events: events(2), expectedRevision: 'no_stream' },
          { stream: b, events: events(1), expectedRevision: 0n },
        ]);
        expect(results.map((r) => r.nextExpectedRevision)).toEqual([1n, 1n]);
        const [a0, a1] = await store.readStream(a);
        const [, b1] = await store.readStream(b);
        // One transaction: its events sit next to each other in the global order.
        expect(a1.globalPosition).toBeGreaterThan(a0.globalPosition);
        expect(b1.globalPosition).toBeGreaterThan(a1.globalPosition);
      });
    });

    describe('reading and subscribing to all events', () => {
      it('reads all events after an exclusive checkpoint in global order', async () => {
        const before = await store.headPosition();
        const stream = uniqueStream();
        const written = events(5);
        await store.append(stream, written.slice(0, 2));
        await store.append(uniqueStream(), [newEvent('Other')]);
        await store.append(stream, written.slice(2));
        const all = await readAllThrough(store, before, written[4].id);
        const mine = all.filter((e) => e.stream === stream);
        expect(mine.map((e) => e.id)).toEqual(written.map((e) => e.id));
        for (let i = 1; i < all.length; i++) expect(all[i].globalPosition).toBeGreaterThan(all[i - 1].globalPosition);

        const afterSecond = await store.readAll({ after: all[1].globalPosition, maxCount: 100 });
        expect(afterSecond[0].id).toBe(all[2].id);
        expect(await store.readAll({ after: before, maxCount: 2 })).toHaveLength(2);
      });

      it('reads the same events for a replay, without what a replay does not need', async () => {
        const before = await store.headPosition();
        const written = [newEvent('Replayed', { n: 1, nested: { amount: '12' } }), newEvent('Replayed', { n: 2 })];
        await store.append(uniqueStream(), written);
        const all = await readAllThrough(store, before, written[1].id);
        const replayed = await store.readAllForReplay({ after: before, maxCount: 100 });
        expect(replayed.map(({ type, data, globalPosition, occurredAt }) => ({ type, data, globalPosition, occurredAt }))).toEqual(
          all.map(({ type, data, globalPosition, occurredAt }) => ({ type, data, globalPosition, occurredAt })),
        );
        const second = await store.readAllForReplay({ after: all[0].globalPosition, maxCount: 1 });
        expect(second.map((event) => event.globalPosition)).toEqual([all[1].globalPosition]);
      });

      it('delivers every event of many concurrent transactions once, in order, with no gap', async () => {
        const start = await store.headPosition();
        const received: RecordedEvent[] = [];
        const subscription = store.subscribeToAll(
          async (batch) => {
            received.push(...batch);
          },
          { after: start, batchSize: 37 },
        );
        const stream = uniqueStream('burst');
        const writers = 25;
        const perWriter = 8;
        const written: string[] = [];
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < perWriter; i++) {
              const batch = events(1 + ((w + i) % 3));
              written.push(...batch.map((e) => e.id));
              await store.append(`${stream}-${w}`, batch);
            }
          }),
        );
        const total = written.length;
        const mine = () => received.filter((e) => e.stream.startsWith(stream));
        await eventually(() => mine().length >= total, `${total} events`);
        await subscription.stop();

        const ids = mine().map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(new Set(written));
        for (let i = 1; i < received.length; i++) {
          expect(received[i].globalPosition).toBeGreaterThan(received[i - 1].globalPosition);
        }
        // The subscription agrees with a plain read of the same range: nothing skipped.
        const read = await store.readAll({ after: start, maxCount: 10000 });
        expect(received.map((e) => e.id)).toEqual(read.slice(0, received.length).map((e) => e.id));
        expect(subscription.position).toBe(received[received.length - 1].globalPosition);
      });

      it('catches up from a checkpoint, then follows live appends, filtering by type', async () => {
        const stream = uniqueStream('live');
        const before = await store.headPosition();
        await store.append(stream, [newEvent('Wanted', { n: 1 }), newEvent('Unwanted')]);
        const seen: RecordedEvent[] = [];
        const subscription = store.subscribeToAll(
          async (batch) => {
            seen.push(...batch.filter((e) => e.stream === stream));
          },
          { after: before, eventTypes: ['Wanted'] },
        );
        await eventually(() => seen.length === 1, 'the earlier event');
        await store.append(stream, [newEvent('Unwanted'), newEvent('Wanted', { n: 2 })]);
        await eventually(() => seen.length === 2, 'the live event');
        await subscription.stop();
        expect(seen.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
        expect(seen.every((e) => e.type === 'Wanted')).toBe(true);
      });

      it('stops with the handler error and does not move past the failed batch', async () => {
        const stream = uniqueStream('failing');
        const before = await store.headPosition();
        await store.append(stream, events(1));
        const subscription = store.subscribeToAll(
          async () => {
            throw new Error('projection broke');
          },
          { after: before },
        );
        await expect(subscription.done).rejects.toThrow('projection broke');
        expect(subscription.position).toBe(before);
      });
    });
  });
}
