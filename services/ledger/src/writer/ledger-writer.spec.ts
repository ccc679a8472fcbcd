import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { LedgerWriter } from './ledger-writer';
import { SnapshotStore } from './snapshot-store';

const OPTIONS = {
  realm: 'default',
  eventTimeoutSeconds: 60,
  snapshotEvery: 50_000,
  maxBatch: 1000,
  sweepIntervalMs: 100,
  clock: () => new Date(),
};

describe('LedgerWriter queue', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  let writer: LedgerWriter;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_writer');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    writer = new LedgerWriter(store, snapshots, new JsonLogger('ledger', 'error'), { ...OPTIONS, instanceId: randomUUID() });
  });

  afterAll(async () => {
    await writer.stepDown();
    await store.close();
    await snapshots.close();
    await database.drop();
  });

  it('answers a lone command submitted as the previous batch finishes (nothing else queued)', async () => {
    // The command arrives while the loop that answered the previous command is still winding
    // down: it once waited for the next submit, so a quiet ledger left a lone request hanging.
    await writer.lead();
    await writer.command(
      { command: { type: 'RegisterApp', name: 'Game', key_id: 'key-1', key_hash: 'h' }, request_hash: null },
      { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000 },
      'gateway',
    );
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      writer.command(
        { command: { type: 'OpenEvent', description: 'alone' }, request_hash: null },
        { correlation_id: randomUUID(), command_id: randomUUID(), app_id: 'app_1', key_id: 'key-1', deadline_epoch_ms: Date.now() + 10_000 },
        'gateway',
      ),
      new Promise((resolve) => (timer = setTimeout(() => resolve('no answer within 5 s'), 5000))),
    ]);
    clearTimeout(timer); // a pending 5 s timer would keep Jest's worker alive after the suite
    expect(reply).toMatchObject({ ok: true, result: { result: { event_id: 1, status: 'open' } } });
  });
});

describe('LedgerWriter start-up from snapshots', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  const writers: LedgerWriter[] = [];
  const lines: Array<Record<string, unknown>> = [];

  const writer = (snapshotEvery: number) => {
    const logger = new JsonLogger('ledger', 'info', (line) => lines.push(JSON.parse(line)));
    const created = new LedgerWriter(store, snapshots, logger, { ...OPTIONS, snapshotEvery, instanceId: randomUUID() });
    writers.push(created);
    return created;
  };
  const grant = (to: LedgerWriter, user_id: string, amount: string) =>
    to.command(
      { command: { type: 'Grant', user_id, amount, currency: 'coins', description: null }, request_hash: null },
      { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000 },
      'gateway',
    );
  const postedOf = async (from: LedgerWriter, user_id: string) => {
    const reply = (await from.query({ type: 'GetBalance', user_id })) as { ok: true; result: { balances: Array<{ posted: string }> } };
    return reply.result.balances[0]?.posted;
  };
  const lastRebuild = () => [...lines].reverse().find((line) => line.msg === 'ledger state rebuilt');

  beforeEach(async () => {
    database = await createTestDatabase('ledger_writer_start');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    lines.length = 0;
  });

  afterEach(async () => {
    for (const each of writers.splice(0)) await each.stepDown();
    await store.close();
    await snapshots.close();
    await database.drop();
  });

  it('replays every event when the newest snapshot is of another version', async () => {
    const first = writer(50_000);
    await first.lead();
    await grant(first, 'alice', '7');
    await first.stepDown();
    const head = (await store.readStream(first.stream)).length - 1;
    // What a ledger of another version might have left: unreadable, and claiming wrong money.
    await snapshots.save('default', BigInt(head), JSON.stringify({ version: 1, revision: String(head), balances: [['user:alice|coins', '999', '0', '0']] }));

    const next = writer(50_000);
    await next.lead();
    expect(await postedOf(next, 'alice')).toBe('7');
    expect(lines.some((line) => line.msg === 'ignoring a ledger snapshot of another version')).toBe(true);
    expect(lastRebuild()).toMatchObject({ snapshot_revision: '-1' });
  });

  it('refuses a retried command with a key the same way after a restart, though funds arrived since', async () => {
    const first = writer(50_000);
    await first.lead();
    await first.command(
      { command: { type: 'RegisterApp', name: 'Game', key_id: 'key-1', key_hash: 'h' }, request_hash: null },
      { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000 },
      'gateway',
    );
    await grant(first, 'carol', '5');
    const debit = (to: LedgerWriter) =>
      to.command(
        {
          command: { type: 'PostTransaction', user_id: 'carol', event_id: null, kind: 'debit', amount: '10', currency: 'coins', description: null },
          request_hash: 'hash-of-the-request',
        },
        { correlation_id: randomUUID(), command_id: 'app_1:key-1', app_id: 'app_1', key_id: 'key-1', deadline_epoch_ms: Date.now() + 10_000 },
        'gateway',
      );
    const refused = await debit(first);
    expect(refused).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    await grant(first, 'carol', '100');
    await first.stepDown();
    expect((await store.readStream(first.stream)).map((event) => event.type)).toContain('CommandRefused');

    const next = writer(50_000); // no snapshot: the state comes from the events alone
    await next.lead();
    expect(await debit(next)).toEqual(refused);
    expect(await postedOf(next, 'carol')).toBe('105');
  });

  it('takes a newer snapshot than the one it prefetched while it waited as a standby', async () => {
    const first = writer(2);
    await first.lead();
    await grant(first, 'bob', '1');
    await grant(first, 'bob', '2');
    const standby = writer(2);
    await standby.prefetchSnapshot();
    const prefetched = await snapshots.newestRevision('default');
    for (let i = 0; i < 4; i++) await grant(first, 'bob', '10');
    await first.stepDown(); // waits for its last snapshot to be saved
    const newest = await snapshots.newestRevision('default');
    expect(newest).toBeGreaterThan(prefetched!);

    await standby.lead();
    expect(await postedOf(standby, 'bob')).toBe('43');
    expect(lastRebuild()).toMatchObject({ snapshot_revision: String(newest) });
  });
});
