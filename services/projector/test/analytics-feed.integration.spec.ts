import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec } from 'nats';
import type { EventEnvelope } from '@coffer/contracts';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
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

async function until(what: string, check: () => Promise<boolean>, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // the stream may not exist yet, or NATS is restarting
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
  let prefix: string;

  beforeEach(async () => {
    database = await createTestDatabase('feed');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    prefix = testNatsPrefix('feed');
  });

  afterEach(async () => {
    await store.close();
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
    let feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger);
    feed.start();
    await until('the first events', async () => (await streamContents(testNatsUrl(), stream)).length === 40);
    await feed.stop();
    await write(15);
    feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger);
    feed.start();
    await write(5);
    await until('every event', async () => (await streamContents(testNatsUrl(), stream)).length >= written.length);
    await feed.stop();
    const published = await streamContents(testNatsUrl(), stream);
    expectExactlyOnceInOrder(published, written);
    expect(published[0]).toMatchObject({ type: 'EventOpened', stream: 'ledger-0', stream_position: '0', data: { i: 0 } });
    await dropTestStreams(prefix);
  });

  it('loses and duplicates nothing when the NATS server dies and comes back', async () => {
    const nats = await PrivateNats.start();
    try {
      const written: string[] = [];
      const write = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const event = posted(written.length);
          written.push(event.id);
          await store.append('ledger-default', [event]);
        }
      };
      const feed = new AnalyticsFeed(store, { natsUrl: nats.url }, prefix, logger);
      feed.start();
      await write(30);
      const stream = `${prefix.toUpperCase()}_EVENTS`;
      await until('events before the crash', async () => (await streamContents(nats.url, stream)).length === 30);
      await nats.kill();
      await write(25);
      await nats.restart();
      await write(10);
      await until('every event after the restart', async () => (await streamContents(nats.url, stream)).length >= 65, 30000);
      await feed.stop();
      expectExactlyOnceInOrder(await streamContents(nats.url, stream), written);
    } finally {
      await nats.stop();
    }
  });
});

/** A nats-server of the test's own (JetStream on, file store), so it can be killed and restarted. */
class PrivateNats {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateNats> {
    const server = new PrivateNats(await freePort(), mkdtempSync(join(tmpdir(), 'coffer-nats-')));
    await server.restart();
    return server;
  }

  async restart(): Promise<void> {
    const binary = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find(existsSync) ?? 'nats-server';
    this.process = spawn(binary, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: 'ignore' });
    await until('the private NATS server', async () => {
      const nc = await connect({ servers: this.url, timeout: 500 });
      await nc.close();
      return true;
    });
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.process?.once('exit', resolve));
    this.process?.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
