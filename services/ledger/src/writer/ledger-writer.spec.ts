import { randomUUID } from 'node:crypto';
import { MAX_DEADLINE_AHEAD_MS, type LedgerCommandBody, type RequestMeta } from '@coffer/contracts';
import { QUEUE_FULL_RETRY_AFTER_SECONDS } from '@coffer/decider';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { LedgerWriter } from './ledger-writer';
import { SnapshotStore } from './snapshot-store';
import { requestMeta, WRITER_OPTIONS, WriterBench } from '../../test/writer-bench';

describe('LedgerWriter queue', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  let writer: LedgerWriter;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_writer');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    writer = new LedgerWriter(store, snapshots, new JsonLogger('ledger', 'error'), { ...WRITER_OPTIONS, instanceId: randomUUID() });
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
      { command: { type: 'RegisterApp', data: { name: 'Game', key_id: 'key-1', key_hash: 'h' } }, request_hash: null },
      { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000 },
      'gateway',
    );
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      writer.command(
        { command: { type: 'OpenEvent', data: { description: 'alone' } }, request_hash: null },
        { correlation_id: randomUUID(), command_id: randomUUID(), app_id: 'app_1', key_id: 'key-1', deadline_epoch_ms: Date.now() + 10_000 },
        'gateway',
      ),
      new Promise((resolve) => (timer = setTimeout(() => resolve('no answer within 5 s'), 5000))),
    ]);
    clearTimeout(timer); // a pending 5 s timer would keep Jest's worker alive after the suite
    expect(reply).toMatchObject({ ok: true, result: { result: { event_id: 1, status: 'open' } } });
  });
});

describe('LedgerWriter at the pending limit', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  let writer: LedgerWriter;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_writer_limit');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    writer = new LedgerWriter(store, snapshots, new JsonLogger('ledger', 'error'), { ...WRITER_OPTIONS, instanceId: randomUUID() });
  });

  afterAll(async () => {
    await writer.stepDown();
    await store.close();
    await snapshots.close();
    await database.drop();
  });

  it('closes a finance event holding the most pending transactions in one append of one TransactionPosted each and its EventClosed', async () => {
    // The limit's edge: 10,000 pending (MAX_PENDING_TRANSACTIONS_PER_EVENT), the 10,001st refused,
    // then a close that writes 10,001 events at once through the real store.
    const meta = (app_id: string | null, key_id: string | null) =>
      ({ correlation_id: randomUUID(), command_id: randomUUID(), app_id, key_id, deadline_epoch_ms: Date.now() + 60_000 });
    await writer.lead();
    await writer.command({ command: { type: 'RegisterApp', data: { name: 'Game', key_id: 'key-1', key_hash: 'h' } }, request_hash: null }, meta(null, null), 'gateway');
    const send = (command: LedgerCommandBody['command']) => writer.command({ command, request_hash: null }, meta('app_1', 'key-1'), 'gateway');
    const opened = (await send({ type: 'OpenEvent', data: { description: 'the biggest round' } })) as { ok: true; result: { result: { event_id: number } } };
    const event_id = opened.result.result.event_id;
    const credit = (i: number) =>
      send({ type: 'PostTransaction', data: { user_id: `u${i % 50}`, event_id, type: 'credit', amount: '1', currency: 'coins', description: null } });
    for (let chunk = 0; chunk < 10; chunk += 1) {
      const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => credit(chunk * 1000 + i)));
      expect(replies.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    }
    expect(await credit(10_000)).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED', details: { maximum: 10_000 } });

    const head = (await store.readStream(writer.stream, { direction: 'backwards', maxCount: 1 }))[0].streamPosition;
    expect(await send({ type: 'PingEvent', data: { event_id } })).toMatchObject({ ok: true });
    expect(await send({ type: 'CloseEvent', data: { event_id } })).toMatchObject({ ok: true, result: { result: { event_id, status: 'closed' } } });
    const written = (await store.readStream(writer.stream)).filter((event) => event.streamPosition > head + 1n);
    expect(written.length).toBe(10_001);
    expect(written.slice(0, 10_000).every((event) => event.type === 'TransactionPosted')).toBe(true);
    expect(written[10_000].type).toBe('EventClosed');
  }, 120_000);
});

describe('LedgerWriter start-up from snapshots', () => {
  let bench: WriterBench;
  const writer = (snapshotEvery: number) => bench.writer({ snapshotEvery });
  const grant = (to: LedgerWriter, user_id: string, amount: string) => bench.grant(to, user_id, amount);
  const postedOf = (from: LedgerWriter, user_id: string) => bench.postedOf(from, user_id);
  const lastRebuild = () => bench.logged('ledger state rebuilt').at(-1);

  beforeEach(async () => {
    bench = await WriterBench.open('ledger_writer_start');
  });

  afterEach(async () => {
    await bench.close();
  });

  it('replays every event when the newest snapshot is of another version', async () => {
    const first = writer(50_000);
    await first.lead();
    await grant(first, 'alice', '7');
    await first.stepDown();
    const head = await bench.head(first);
    // What a ledger of another version might have left: unreadable, and claiming wrong money.
    await bench.snapshots.save('default', BigInt(head), JSON.stringify({ version: 1, revision: String(head), balances: [['user:alice|coins', '999', '0', '0']] }));

    const next = writer(50_000);
    await next.lead();
    expect(await postedOf(next, 'alice')).toBe('7');
    expect(bench.logged('ignoring a ledger snapshot of another version')).toHaveLength(1);
    expect(lastRebuild()).toMatchObject({ snapshot_revision: '-1' });
  });

  it('refuses a retried command with a key the same way after a restart, though funds arrived since', async () => {
    const first = writer(50_000);
    await first.lead();
    await first.command(
      { command: { type: 'RegisterApp', data: { name: 'Game', key_id: 'key-1', key_hash: 'h' } }, request_hash: null },
      { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10_000 },
      'gateway',
    );
    await grant(first, 'carol', '5');
    const debit = (to: LedgerWriter) =>
      to.command(
        {
          command: { type: 'PostTransaction', data: { user_id: 'carol', event_id: null, type: 'debit', amount: '10', currency: 'coins', description: null } },
          request_hash: 'hash-of-the-request',
        },
        { correlation_id: randomUUID(), command_id: 'app_1:key-1', app_id: 'app_1', key_id: 'key-1', deadline_epoch_ms: Date.now() + 10_000 },
        'gateway',
      );
    const refused = await debit(first);
    expect(refused).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    await grant(first, 'carol', '100');
    await first.stepDown();
    expect((await bench.store.readStream(first.stream)).map((event) => event.type)).toContain('CommandRefused');

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
    // A writer saves its snapshot after it answers, in the background: on a loaded machine the
    // first one may not be in the table yet when the grant's answer is, so wait for it (bounded).
    const prefetched = await snapshotSaved(() => bench.snapshots.newestRevision('default'));
    const standby = writer(2);
    await standby.prefetchSnapshot();
    expect(await bench.snapshots.newestRevision('default')).toBeGreaterThanOrEqual(prefetched);
    for (let i = 0; i < 4; i++) await grant(first, 'bob', '10');
    await first.stepDown(); // waits for its last snapshot to be saved
    const newest = await bench.snapshots.newestRevision('default');
    expect(newest).toBeGreaterThan(prefetched);

    await standby.lead();
    expect(await postedOf(standby, 'bob')).toBe('43');
    expect(lastRebuild()).toMatchObject({ snapshot_revision: String(newest) });
  });
});

describe('LedgerWriter limits', () => {
  let bench: WriterBench;
  const writer = (options: Parameters<WriterBench['writer']>[0] = {}) => bench.writer(options);
  const meta = (deadline_epoch_ms: number, command_id: string = randomUUID()) => requestMeta({ deadline_epoch_ms, command_id });
  const grant = (to: LedgerWriter, user_id: string, amount: string, deadline = Date.now() + 10_000, command_id?: string) =>
    bench.grant(to, user_id, amount, meta(deadline, command_id));
  const postedOf = (from: LedgerWriter, user_id: string) => bench.postedOf(from, user_id);
  const blockAppends = () => bench.blockAppends();
  const grantedIn = async (commandId: string) =>
    (await bench.store.readStream(bench.writers[0].stream)).filter((event: { metadata: Record<string, unknown> }) => event.metadata.command_id === commandId).length;

  beforeEach(async () => {
    bench = await WriterBench.open('ledger_writer_limits');
  });

  afterEach(async () => {
    await bench.close();
  });

  it('drops a queued command whose deadline passed while the writer was stuck: its caller was told 503', async () => {
    const ledger = writer();
    await ledger.lead();
    const unblock = await blockAppends();
    const inFlight = grant(ledger, 'alice', '1');
    const expiring = randomUUID();
    const late = grant(ledger, 'alice', '10', Date.now() + 300, expiring);
    const patient = grant(ledger, 'alice', '100');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await unblock();
    expect(await inFlight).toMatchObject({ ok: true });
    expect(await late).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await patient).toMatchObject({ ok: true });
    expect(await postedOf(ledger, 'alice')).toBe('101');
    expect(await grantedIn(expiring)).toBe(0);
  });

  it('decides a command whose deadline is a millisecond ahead when its turn comes, and drops one whose deadline is now', async () => {
    const now = Date.now();
    const ledger = writer({ clock: () => new Date(now) });
    await ledger.lead();
    expect(await grant(ledger, 'bob', '1', now + 1)).toMatchObject({ ok: true });
    expect(await grant(ledger, 'bob', '2', now)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await postedOf(ledger, 'bob')).toBe('1');
  });

  it('refuses a deadline further ahead than MAX_DEADLINE_AHEAD_MS, or none, and takes one exactly that far', async () => {
    const now = Date.now();
    const ledger = writer({ clock: () => new Date(now) });
    await ledger.lead();
    expect(await grant(ledger, 'carol', '1', now + MAX_DEADLINE_AHEAD_MS)).toMatchObject({ ok: true });
    expect(await grant(ledger, 'carol', '1', now + MAX_DEADLINE_AHEAD_MS + 1)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(await grant(ledger, 'carol', '1', Number.NaN)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    const missing = { ...meta(0), deadline_epoch_ms: undefined } as unknown as ReturnType<typeof meta>;
    const command = { command: { type: 'Grant' as const, data: { user_id: 'carol', amount: '1', currency: 'coins', description: null } }, request_hash: null };
    expect(await ledger.command(command, missing, 'gateway')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(await postedOf(ledger, 'carol')).toBe('1');
  });

  it('queues at most maxQueued behind the batch in flight, and refuses one more at once with a retry hint', async () => {
    const ledger = writer({ maxQueued: 3 });
    await ledger.lead();
    const unblock = await blockAppends();
    const inFlight = grant(ledger, 'dave', '1');
    const queued = [grant(ledger, 'dave', '2'), grant(ledger, 'dave', '3'), grant(ledger, 'dave', '4')];
    const refused = await grant(ledger, 'dave', '1000');
    expect(refused).toEqual({
      ok: false,
      code: 'UNAVAILABLE',
      message: expect.stringContaining('too much work queued'),
      details: { retry_after_seconds: QUEUE_FULL_RETRY_AFTER_SECONDS, max_queued: 3 },
    });
    await unblock();
    for (const reply of [await inFlight, ...(await Promise.all(queued))]) expect(reply).toMatchObject({ ok: true });
    expect(await postedOf(ledger, 'dave')).toBe('10');
  });

  it('answers a command without a key sent again before its deadline with its first answer, also on a writer rebuilt from the stream', async () => {
    const first = writer({ snapshotEvery: 2 });
    await first.lead();
    const id = randomUUID();
    const deadline = Date.now() + 60_000;
    const original = await grant(first, 'erin', '5', deadline, id);
    expect(original).toMatchObject({ ok: true, result: { replayed: false } });
    const again = await grant(first, 'erin', '5', deadline, id);
    expect(again).toEqual({ ok: true, result: { ...(original as { result: object }).result, replayed: true } });
    await grant(first, 'erin', '1'); // past the snapshot interval: the next writer starts from a snapshot
    await first.stepDown();

    const next = writer({ snapshotEvery: 2 }); // the standby taking over, as the gateway resends to it
    await next.lead();
    expect(await grant(next, 'erin', '5', deadline, id)).toEqual(again);
    expect(await postedOf(next, 'erin')).toBe('6');
    expect(await grantedIn(id)).toBe(1);
  });
});

describe('LedgerWriter with a command the store cannot hold', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  let writer: LedgerWriter;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    database = await createTestDatabase('ledger_writer_poison');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    const logger = new JsonLogger('ledger', 'info', (line) => lines.push(JSON.parse(line)));
    writer = new LedgerWriter(store, snapshots, logger, { ...WRITER_OPTIONS, instanceId: randomUUID() });
    await writer.lead();
    // app_1, app_2 and app_3, each calling with its own live key (key-1, key-2, key-3)
    for (const n of [1, 2, 3]) {
      const registered = await writer.command(
        { command: { type: 'RegisterApp', data: { name: `Game ${n}`, key_id: `key-${n}`, key_hash: 'h' } }, request_hash: null },
        meta(null),
        'gateway',
      );
      expect(registered).toMatchObject({ ok: true });
    }
  });

  afterAll(async () => {
    await writer.stepDown();
    await store.close();
    await snapshots.close();
    await database.drop();
  });

  const meta = (app_id: string | null, overrides: Partial<RequestMeta> = {}): RequestMeta => ({
    correlation_id: randomUUID(),
    command_id: randomUUID(),
    app_id,
    key_id: app_id === null ? null : `key-${app_id.slice('app_'.length)}`,
    deadline_epoch_ms: Date.now() + 10_000,
    ...overrides,
  });
  const balance = async (user_id: string) => {
    const reply = (await writer.query({ type: 'GetBalance', user_id })) as { ok: true; result: { balances: Array<{ posted: string }> } };
    return reply.result.balances[0]?.posted ?? '0';
  };

  it("refuses the poisoned command alone with a 4xx, appends the rest of its batch, and answers its retries the same", async () => {
    // Decide checks every field of a command, so the poison here is in what it does not read:
    // the request's correlation id, which lands in the metadata of the command's events. The
    // NATS controller refuses such a request; a caller inside the process reaches the writer.
    const poisoned = {
      body: {
        command: { type: 'PostTransaction', data: { user_id: 'alice', event_id: null, type: 'debit', amount: '1', currency: 'coins', description: null } },
        request_hash: 'hash-of-the-poisoned-request',
      } as LedgerCommandBody,
      meta: meta('app_2', { command_id: 'app_2:poisoned-key', correlation_id: 'corr\u0000elation' }),
    };
    const grant = writer.command({ command: { type: 'Grant', data: { user_id: 'alice', amount: '100', currency: 'coins', description: null } }, request_hash: null }, meta(null), 'gateway');
    // Submitted while the grant's append is in flight: decided together into the next batch.
    const [credit, refused, transfer] = await Promise.all([
      writer.command(
        { command: { type: 'PostTransaction', data: { user_id: 'bob', event_id: null, type: 'credit', amount: '5', currency: 'coins', description: 'win' } }, request_hash: null },
        meta('app_1'),
        'gateway',
      ),
      writer.command(poisoned.body, poisoned.meta, 'gateway'),
      writer.command(
        { command: { type: 'Transfer', data: { from_user_id: 'alice', to_user_id: 'carol', amount: '3', currency: 'coins', description: null } }, request_hash: null },
        meta('app_3'),
        'gateway',
      ),
    ]);
    expect(await grant).toMatchObject({ ok: true });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'the store refused a batch for its content: appending its commands one at a time', commands: 3 }));

    expect(credit).toMatchObject({ ok: true, result: { result: { type: 'credit', amount: '5', status: 'posted' } } });
    expect(transfer).toMatchObject({ ok: true, result: { result: { type: 'transfer', amount: '3' } } });
    expect(refused).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: 'the event store cannot hold what this command would record' });
    expect([await balance('alice'), await balance('bob'), await balance('carol')]).toEqual(['97', '5', '3']);

    // Recorded without the poison, so a retry gets the same refusal and the store is not tried again.
    const events = await store.readStream(writer.stream);
    const record = events.find((event) => event.metadata.command_id === 'app_2:poisoned-key');
    expect(record).toMatchObject({ type: 'CommandRefused', data: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify({ data: record?.data, metadata: record?.metadata })).not.toMatch(/\\u0000|\u0000/);
    const retry = await writer.command(poisoned.body, poisoned.meta, 'gateway');
    expect(retry).toEqual(refused);
    expect(await store.readStream(writer.stream)).toHaveLength(events.length);

    // Never fail-stop: the writer kept leading and no batch was refused as a store fault.
    expect(writer.isLeading).toBe(true);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});

describe('LedgerWriter when the store fails', () => {
  let bench: WriterBench;
  const sql = async (statement: string) => {
    const pool = bench.database.pool();
    try {
      await pool.query(statement);
    } finally {
      await pool.end();
    }
  };
  /** Every insert into the store fails with this SQLSTATE, whatever it carries. */
  const refuseInserts = (sqlstate: string) =>
    sql(`CREATE FUNCTION coffer_es.refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '${sqlstate}'; END $$;
         CREATE TRIGGER refuse_all BEFORE INSERT ON coffer_es.events FOR EACH ROW EXECUTE FUNCTION coffer_es.refuse_all()`);
  const acceptInserts = () => sql('DROP TRIGGER refuse_all ON coffer_es.events');
  const keyedGrant = (to: LedgerWriter, meta: Partial<RequestMeta> = {}) =>
    to.command(
      { command: { type: 'Grant', data: { user_id: 'zoe', amount: '5', currency: 'coins', description: null } }, request_hash: 'hash-of-the-grant' },
      requestMeta({ command_id: 'admin:the-key', ...meta }),
      'gateway',
    );
  const typesInStore = async (writer: LedgerWriter) => (await bench.store.readStream(writer.stream)).map((event) => event.type);

  beforeEach(async () => {
    bench = await WriterBench.open('ledger_writer_faults');
  });

  afterEach(async () => {
    await bench.close();
  });

  it('steps down at once while the store is away: the rebuild loop ends when the writer no longer leads', async () => {
    const ledger = bench.writer();
    await ledger.lead();
    await sql('ALTER TABLE coffer_es.events RENAME TO events_away'); // appends and reads fail: a fault of the store
    expect(await bench.grant(ledger, 'amy', '1')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few rebuilds fail meanwhile, backing off
    const started = performance.now();
    await ledger.stepDown();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(bench.logged('rebuild failed, retrying').length).toBeGreaterThan(0);
    await sql('ALTER TABLE coffer_es.events_away RENAME TO events');
  });

  it('answers 503 and records nothing when the store refuses a batch whose events break no rule: the fault is the store\'s', async () => {
    const ledger = bench.writer();
    await ledger.lead();
    const before = await typesInStore(ledger);
    await refuseInserts('22P02'); // what a lone surrogate in JSON gets, for content that has none
    expect(await keyedGrant(ledger)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    await acceptInserts();
    expect(bench.logged('refused a command whose events the store cannot hold')).toEqual([]);
    expect(await typesInStore(ledger)).toEqual(before); // no CommandRefused
    // Its retry with the same key is decided as new, and goes through.
    expect(await keyedGrant(ledger)).toMatchObject({ ok: true, result: { replayed: false } });
    expect(await bench.postedOf(ledger, 'zoe')).toBe('5');
  });

  it('answers 503 when the store refuses even the clean record of a poisoned command: the fault is the store\'s', async () => {
    const ledger = bench.writer();
    await ledger.lead();
    const before = await typesInStore(ledger);
    await refuseInserts('22P05');
    // Poisoned for real (U+0000 in the correlation id its events carry), so it is isolated and its refusal recorded…
    const poisoned = await keyedGrant(ledger, { correlation_id: 'corr\u0000elation' });
    // …but the record, clean, is refused too: not a 400 for content, a 503.
    expect(poisoned).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(bench.logged('append failed: rebuilding the state from the store').length).toBeGreaterThan(0);
    await acceptInserts();
    expect(await typesInStore(ledger)).toEqual(before);
  });

  it('goes on deciding when a snapshot cannot be saved, and says so', async () => {
    const ledger = bench.writer({ snapshotEvery: 2 });
    await ledger.lead();
    await sql('ALTER TABLE coffer_ledger.snapshots RENAME TO snapshots_away');
    for (let i = 0; i < 4; i++) expect(await bench.grant(ledger, 'bea', '1')).toMatchObject({ ok: true });
    await ledger.stepDown(); // waits for the snapshots in flight
    expect(bench.logged('snapshot not saved').length).toBeGreaterThan(0);
    expect(bench.logged('the writer failed while deciding: deciding nothing more')).toEqual([]);
    await sql('ALTER TABLE coffer_ledger.snapshots_away RENAME TO snapshots');
  });
});

/** The newest snapshot's revision once one is saved, within 10 s (else the test fails saying so). */
async function snapshotSaved(newest: () => Promise<bigint | undefined>): Promise<bigint> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const revision = await newest();
    if (revision !== undefined) return revision;
    if (Date.now() > deadline) throw new Error('no snapshot was saved within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
