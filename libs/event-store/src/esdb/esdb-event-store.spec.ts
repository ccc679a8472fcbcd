import { Readable } from 'node:stream';
import {
  ANY,
  END,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type CurrentRevision,
  type ReadAllOptions as EsdbReadAllOptions,
  type ReadPosition,
} from '@eventstore/db-client';
import { runEventStoreContract } from '../../test/contract-suite';
import { ContentRefusedError, UnsupportedOperationError, WrongExpectedRevisionError } from '../errors';
import type { EventMetadata } from '@coffer/contracts';
import type { ExpectedRevision, NewEvent, RecordedEvent } from '../port';
import { EventStoreDbEventStore, type EsdbClient } from './esdb-event-store';

const metadata: EventMetadata = { schema_version: 1, correlation_id: 'corr-1', causation_id: null, app_id: 'app-1' };
const created = new Date('2024-05-01T12:00:00Z');

function newEvent(id: string, type = 'Deposited'): NewEvent {
  return { id, type, data: { amount: '10' }, metadata };
}

/** An event as the client yields it from $all (commit and prepare set apart to catch mix-ups). */
function resolved(commit: bigint, type = 'Deposited', stream = 'account-1', revision = 0n): AllStreamResolvedEvent {
  return {
    event: {
      streamId: stream,
      id: `event-${commit}`,
      isJson: true,
      revision,
      type,
      created,
      data: { at: commit.toString() },
      metadata,
      position: { commit, prepare: commit + 1n },
    },
    commitPosition: commit,
  };
}

/** The client's catch-up subscription: an object-mode Readable that ends when unsubscribed. */
class FakeSubscription extends Readable {
  readonly unsubscribe = jest.fn(async () => {
    if (!this.destroyed) this.push(null);
  });
  constructor() {
    super({ objectMode: true, read: () => undefined });
  }
}

/** A stream that fails the way the client's reads do: an 'error' while iterating. */
function failingRead(error: Error): Readable {
  return new Readable({
    objectMode: true,
    read() {
      this.destroy(error);
    },
  });
}

/** A hand-written client over an in-memory $all log, honouring the read options the adapter uses. */
function fakeClient(log: AllStreamResolvedEvent[] = []) {
  const subscriptions: FakeSubscription[] = [];
  const commitOf = (r: AllStreamResolvedEvent) => r.event!.position.commit;
  const fake = {
    appendToStream: jest.fn(
      async (): Promise<EsdbAppendResult> => ({
        success: true,
        nextExpectedRevision: 4n,
        position: { commit: 900n, prepare: 850n },
      }),
    ),
    readStream: jest.fn((_stream: string, _options?: unknown) => Readable.from([] as unknown[])),
    readAll: jest.fn((options: EsdbReadAllOptions = {}) => {
      const from: ReadPosition = options.fromPosition ?? START;
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      // Like the server: forwards includes the start position, backwards excludes it.
      const page =
        options.direction === 'backwards'
          ? [...log].reverse().filter((r) => from === END || (from !== START && commitOf(r) < from.commit))
          : log.filter((r) => from === START || (from !== END && commitOf(r) >= from.commit));
      return Readable.from(page.slice(0, max));
    }),
    subscribeToAll: jest.fn((_options?: unknown) => {
      const subscription = new FakeSubscription();
      subscriptions.push(subscription);
      return subscription;
    }),
    dispose: jest.fn(async () => undefined),
  };
  const store = new EventStoreDbEventStore(fake as unknown as EsdbClient);
  return { fake, store, subscriptions };
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; !predicate(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('EventStoreDbEventStore (mocked client)', () => {
  it('describes itself as a single-stream EventStoreDB store', () => {
    const { store } = fakeClient();
    expect(store.kind).toBe('eventstoredb');
    expect(store.supportsMultiStreamAppend).toBe(false);
  });

  describe('append', () => {
    it.each<[ExpectedRevision, unknown]>([
      [3n, 3n],
      ['no_stream', NO_STREAM],
      ['stream_exists', STREAM_EXISTS],
      ['any', ANY],
    ])('maps expected revision %p to the client value %p', async (expected, clientValue) => {
      const { fake, store } = fakeClient();
      await store.append('account-1', [newEvent('e1')], expected);
      const options = { expectedRevision: clientValue };
      expect(fake.appendToStream).toHaveBeenCalledWith('account-1', expect.any(Array), options);
    });

    it('expects any revision by default', async () => {
      const { fake, store } = fakeClient();
      await store.append('account-1', [newEvent('e1')]);
      expect(fake.appendToStream).toHaveBeenCalledWith('account-1', expect.any(Array), { expectedRevision: ANY });
    });

    it('writes JSON events with our ids and reports the commit position of the write', async () => {
      const { fake, store } = fakeClient();
      const result = await store.append('account-1', [newEvent('e1'), newEvent('e2', 'Withdrawn')], 0n);
      const [, written] = fake.appendToStream.mock.calls[0] as unknown as [string, unknown[]];
      expect(written).toEqual([
        { id: 'e1', type: 'Deposited', contentType: 'application/json', data: { amount: '10' }, metadata },
        { id: 'e2', type: 'Withdrawn', contentType: 'application/json', data: { amount: '10' }, metadata },
      ]);
      expect(result).toEqual({ stream: 'account-1', nextExpectedRevision: 4n, lastGlobalPosition: 900n });
    });

    it.each<[CurrentRevision | undefined, bigint | 'no_stream' | 'unknown']>([
      [7n, 7n],
      ['no_stream', 'no_stream'],
      [undefined, 'unknown'],
    ])('translates WrongExpectedVersionError with current %p to actual %p', async (current, actual) => {
      const { fake, store } = fakeClient();
      fake.appendToStream.mockRejectedValueOnce(
        new WrongExpectedVersionError(undefined, {
          streamName: 'account-1',
          expected: 2n,
          current: current as CurrentRevision,
        }),
      );
      const append = store.append('account-1', [newEvent('e1')], 2n);
      await expect(append).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(append).rejects.toMatchObject({ stream: 'account-1', expected: 2n, actual });
    });

    it.each([
      ['U+0000', { description: 'a\u0000b' }],
      ['a lone surrogate', { nested: [{ name: 'n\ud800' }] }],
    ])('refuses %s as content without calling the client, as the PostgreSQL store does', async (_case, data) => {
      const { fake, store } = fakeClient();
      const append = store.append('account-1', [newEvent('e1'), { ...newEvent('e2'), data }]);
      await expect(append).rejects.toBeInstanceOf(ContentRefusedError);
      expect(fake.appendToStream).not.toHaveBeenCalled();
    });

    it.each([
      ['an append over its maximum size', MaxAppendSizeExceededError.fromMaxAppendSize(1024)],
      ['an argument the client cannot send', new InvalidArgumentError('bad argument')],
    ])('translates the refusal of %s to ContentRefusedError', async (_case, failure) => {
      const { fake, store } = fakeClient();
      fake.appendToStream.mockRejectedValueOnce(failure);
      await expect(store.append('account-1', [newEvent('e1')])).rejects.toBeInstanceOf(ContentRefusedError);
    });

    it('passes other client errors through unchanged', async () => {
      const { fake, store } = fakeClient();
      const failure = new Error('unavailable');
      fake.appendToStream.mockRejectedValueOnce(failure);
      await expect(store.append('account-1', [newEvent('e1')])).rejects.toBe(failure);
    });

    it('refuses an empty append without calling the client', async () => {
      const { fake, store } = fakeClient();
      await expect(store.append('account-1', [])).rejects.toBeInstanceOf(RangeError);
      expect(fake.appendToStream).not.toHaveBeenCalled();
    });
  });

  describe('appendMany', () => {
    it('refuses several streams before writing anything', async () => {
      const { fake, store } = fakeClient();
      const many = store.appendMany([
        { stream: 'a', events: [newEvent('e1')], expectedRevision: 'any' },
        { stream: 'b', events: [newEvent('e2')], expectedRevision: 'any' },
      ]);
      await expect(many).rejects.toBeInstanceOf(UnsupportedOperationError);
      await expect(many).rejects.toThrow('EventStoreDB cannot append to several streams atomically');
      expect(fake.appendToStream).not.toHaveBeenCalled();
    });

    it('appends a single request as a plain append', async () => {
      const { fake, store } = fakeClient();
      const request = { stream: 'a', events: [newEvent('e1')], expectedRevision: 'no_stream' as const };
      const results = await store.appendMany([request]);
      expect(fake.appendToStream).toHaveBeenCalledWith('a', expect.any(Array), { expectedRevision: NO_STREAM });
      expect(results).toEqual([{ stream: 'a', nextExpectedRevision: 4n, lastGlobalPosition: 900n }]);
    });
  });

  describe('readStream', () => {
    it('maps recorded events and ignores links whose event is gone', async () => {
      const { fake, store } = fakeClient();
      fake.readStream.mockReturnValueOnce(Readable.from([resolved(100n, 'Deposited', 'account-1', 0n), {}]));
      const events = await store.readStream('account-1');
      expect(events).toEqual<RecordedEvent[]>([
        {
          id: 'event-100',
          type: 'Deposited',
          stream: 'account-1',
          streamPosition: 0n,
          globalPosition: 100n,
          occurredAt: created,
          data: { at: '100' },
          metadata,
        },
      ]);
      expect(fake.readStream).toHaveBeenCalledWith('account-1', { direction: 'forwards', fromRevision: START });
    });

    it('reads backwards from the end by default and passes fromRevision and maxCount', async () => {
      const { fake, store } = fakeClient();
      await store.readStream('account-1', { direction: 'backwards', maxCount: 2 });
      expect(fake.readStream).toHaveBeenLastCalledWith('account-1', {
        direction: 'backwards',
        fromRevision: END,
        maxCount: 2,
      });
      await store.readStream('account-1', { fromRevision: 5n });
      expect(fake.readStream).toHaveBeenLastCalledWith('account-1', { direction: 'forwards', fromRevision: 5n });
    });

    it('reads a missing stream as empty', async () => {
      const { fake, store } = fakeClient();
      fake.readStream.mockReturnValueOnce(failingRead(new StreamNotFoundError(undefined, 'missing')));
      await expect(store.readStream('missing')).resolves.toEqual([]);
    });

    it('rethrows other read errors', async () => {
      const { fake, store } = fakeClient();
      fake.readStream.mockReturnValueOnce(failingRead(new Error('connection lost')));
      await expect(store.readStream('account-1')).rejects.toThrow('connection lost');
    });
  });

  describe('readAll', () => {
    const log = [
      resolved(100n),
      resolved(200n, '$metadata', '$$account-1'),
      resolved(300n, 'Withdrawn'),
      resolved(400n, '$statsCollected', '$stats-node'),
      resolved(500n),
    ];

    it('starts at the checkpoint, excludes it and leaves out system events by default', async () => {
      const { fake, store } = fakeClient(log);
      const events = await store.readAll({ after: 100n });
      expect(events.map((e) => e.globalPosition)).toEqual([300n, 500n]);
      expect(fake.readAll.mock.calls[0][0]).toMatchObject({
        direction: 'forwards',
        fromPosition: { commit: 100n, prepare: 100n },
      });
    });

    it('reads from the start without a checkpoint and keeps system events on request', async () => {
      const { fake, store } = fakeClient(log);
      const events = await store.readAll({ excludeSystemEvents: false });
      expect(events.map((e) => e.globalPosition)).toEqual([100n, 200n, 300n, 400n, 500n]);
      expect(fake.readAll.mock.calls[0][0]).toMatchObject({ fromPosition: START });
    });

    it('reads past pages of system events to fill maxCount', async () => {
      const stats = Array.from({ length: 150 }, (_, i) => resolved(20n + BigInt(i), '$statsCollected'));
      const { fake, store } = fakeClient([resolved(10n), ...stats, resolved(900n), resolved(901n)]);
      const events = await store.readAll({ after: 10n, maxCount: 1 });
      expect(events.map((e) => e.globalPosition)).toEqual([900n]);
      // Each page resumes where the previous one ended.
      const starts = fake.readAll.mock.calls.map(([options]) => (options?.fromPosition as { commit: bigint }).commit);
      expect(starts.length).toBeGreaterThan(1);
      expect(starts[0]).toBe(10n);
      for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1]);
    });
  });

  describe('headPosition', () => {
    it('is the newest non-system event', async () => {
      const stats = Array.from({ length: 150 }, (_, i) => resolved(400n + BigInt(i), '$statsCollected'));
      const { fake, store } = fakeClient([resolved(100n), resolved(300n), ...stats]);
      await expect(store.headPosition()).resolves.toBe(300n);
      expect(fake.readAll.mock.calls[0][0]).toMatchObject({ direction: 'backwards', fromPosition: END });
      expect(fake.readAll.mock.calls.length).toBeGreaterThan(1);
    });

    it('is undefined on an empty store', async () => {
      const { store } = fakeClient([resolved(5n, '$settings')]);
      await expect(store.headPosition()).resolves.toBeUndefined();
    });
  });

  describe('subscribeToAll', () => {
    it('delivers events in order, batched, skipping the checkpoint event, one handler call at a time', async () => {
      const { fake, store, subscriptions } = fakeClient();
      const batches: bigint[][] = [];
      let running = 0;
      let overlapped = false;
      const subscription = store.subscribeToAll(
        async (events) => {
          overlapped ||= running > 0;
          running++;
          await new Promise((resolve) => setTimeout(resolve, 1));
          batches.push(events.map((e) => e.globalPosition));
          running--;
        },
        { after: 100n, batchSize: 2 },
      );
      expect(fake.subscribeToAll).toHaveBeenCalledWith({
        fromPosition: { commit: 100n, prepare: 100n },
        filter: expect.objectContaining({ filterOn: 'eventType', regex: '^[^$].*' }),
      });
      const source = subscriptions[0];
      for (const position of [100n, 200n, 300n, 400n, 500n, 600n]) source.push(resolved(position));
      await waitFor(() => subscription.position === 600n, 'position 600');
      expect(batches).toEqual([[200n, 300n], [400n, 500n], [600n]]);
      expect(overlapped).toBe(false);

      source.push(resolved(700n));
      await waitFor(() => subscription.position === 700n, 'a live event');
      expect(batches.at(-1)).toEqual([700n]);

      await subscription.stop();
      await expect(subscription.done).resolves.toBeUndefined();
      expect(source.unsubscribe).toHaveBeenCalled();
    });

    it('starts from the beginning without a checkpoint', () => {
      const { fake, store } = fakeClient();
      const subscription = store.subscribeToAll(async () => undefined);
      expect(fake.subscribeToAll).toHaveBeenCalledWith(expect.objectContaining({ fromPosition: START }));
      expect(subscription.position).toBeUndefined();
      return subscription.stop();
    });

    it('keeps exact event types only, yet moves past the others', async () => {
      const { fake, store, subscriptions } = fakeClient();
      const seen: string[] = [];
      const subscription = store.subscribeToAll(async (events) => void seen.push(...events.map((e) => e.type)), {
        eventTypes: ['Deposited'],
      });
      expect(fake.subscribeToAll).toHaveBeenCalledWith(
        expect.objectContaining({
          filter: expect.objectContaining({ filterOn: 'eventType', prefixes: ['Deposited'] }),
        }),
      );
      subscriptions[0].push(resolved(1n, 'Deposited'));
      subscriptions[0].push(resolved(2n, 'DepositedTwice'));
      await waitFor(() => subscription.position === 2n, 'position 2');
      expect(seen).toEqual(['Deposited']);
      await subscription.stop();
    });

    it('rejects done with the handler error and keeps the checkpoint before the failed batch', async () => {
      const { store, subscriptions } = fakeClient();
      const subscription = store.subscribeToAll(
        async () => {
          throw new Error('projection broke');
        },
        { after: 50n },
      );
      subscriptions[0].push(resolved(60n));
      await expect(subscription.done).rejects.toThrow('projection broke');
      expect(subscription.position).toBe(50n);
      expect(subscriptions[0].unsubscribe).toHaveBeenCalled();
      await expect(subscription.stop()).resolves.toBeUndefined();
    });

    it('rejects done when the subscription stream fails', async () => {
      const { store, subscriptions } = fakeClient();
      const subscription = store.subscribeToAll(async () => undefined);
      subscriptions[0].emit('error', new Error('server dropped the subscription'));
      await expect(subscription.done).rejects.toThrow('server dropped the subscription');
    });
  });

  it('close stops every subscription, then disposes of the client', async () => {
    const { fake, store, subscriptions } = fakeClient();
    const subscription = store.subscribeToAll(async () => undefined);
    await store.close();
    await expect(subscription.done).resolves.toBeUndefined();
    expect(subscriptions[0].destroyed).toBe(true);
    expect(fake.dispose).toHaveBeenCalledTimes(1);
  });
});

if (process.env.EVENTSTORE_URL) {
  runEventStoreContract('EventStoreDB', () => EventStoreDbEventStore.connect(process.env.EVENTSTORE_URL!));
}
