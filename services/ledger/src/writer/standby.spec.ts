import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, eventually, type TestDatabase } from '@coffer/testing';
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

describe('LedgerWriter as a hot standby', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  const writers: LedgerWriter[] = [];
  const lines: Array<Record<string, unknown>> = [];

  const writer = () => {
    const logger = new JsonLogger('ledger', 'info', (line) => lines.push(JSON.parse(line)));
    const created = new LedgerWriter(store, snapshots, logger, { ...OPTIONS, instanceId: randomUUID() });
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
  const logged = (msg: string) => lines.filter((line) => line.msg === msg);

  beforeEach(async () => {
    database = await createTestDatabase('ledger_standby');
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

  it('follows the stream, so taking over reads only what the tail had not delivered yet', async () => {
    const active = writer();
    await active.lead();
    await grant(active, 'alice', '5');
    const standby = writer();
    standby.follow();
    for (let i = 0; i < 30; i++) await grant(active, 'alice', '1');
    const head = (await store.readStream(active.stream, { direction: 'backwards', maxCount: 1 }))[0].streamPosition;
    await eventually(() => standby.revision === head, 'the standby to follow the stream');

    await standby.lead();
    expect(logged('ledger state rebuilt')).toHaveLength(2); // the active's start and the standby's start, never again
    expect(logged('leading the ledger').at(-1)).toMatchObject({ caught_up_events: 0 });
    expect(await postedOf(standby, 'alice')).toBe('35');
  });

  it('fences the old writer: once the standby took over, its next append fails and it decides nothing more', async () => {
    const old = writer();
    await old.lead();
    await grant(old, 'bob', '7');
    const successor = writer();
    successor.follow();
    await successor.lead();
    const fenced = new Promise<void>((resolve) => (old.onFenced = resolve));
    expect(await grant(old, 'bob', '100')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    await fenced;
    expect(await grant(old, 'bob', '100')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await postedOf(successor, 'bob')).toBe('7');
  });

  it('decides nothing once its lease may have lapsed, and appends nothing', async () => {
    let leaseValid = true;
    const active = writer();
    await active.lead(() => leaseValid);
    await grant(active, 'carol', '3');
    const before = (await store.readStream(active.stream)).length;
    leaseValid = false;
    expect(await grant(active, 'carol', '4')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await active.query({ type: 'GetBalance', user_id: 'carol' })).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect((await store.readStream(active.stream)).length).toBe(before);
    expect(logged('the writer lease may have lapsed: deciding nothing more')).toHaveLength(1);
  });

  it('rebuilds before following when its memory holds a batch the stream never took (it was fenced)', async () => {
    const old = writer();
    await old.lead();
    await grant(old, 'dave', '2');
    const successor = writer();
    await successor.lead();
    await grant(successor, 'dave', '40');
    await grant(old, 'dave', '1000'); // decided in memory, refused by the store: fenced
    await old.stepDown();
    const rebuilt = logged('ledger state rebuilt').length;
    old.follow();
    const head = (await store.readStream(old.stream, { direction: 'backwards', maxCount: 1 }))[0].streamPosition;
    await eventually(() => logged('ledger state rebuilt').length > rebuilt && old.revision === head, 'the old writer to rebuild and follow');
    await successor.stepDown();
    await old.lead();
    expect(await postedOf(old, 'dave')).toBe('42');
  });
});
