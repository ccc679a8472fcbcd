import type { INestMicroservice } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { READ_CHECKPOINT_CHANNEL } from '@coffer/contracts';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { createTestDatabase, dropTestStreams, eventually, readAllCommitted, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { LedgerTestClient, ok, startLedger } from '../../ledger/test/ledger-harness';
import { Generations } from '../src/read-models/generations';
import { rebuild, status, verify } from '../src/read-models/rebuild-verify-status';
import { startProjector as startHarnessProjector } from './projector-harness';

jest.setTimeout(90000);

describe('read models kept by the projector', () => {
  let database: TestDatabase;
  let prefix: string;
  let client: LedgerTestClient;
  let pool: Pool;
  let store: PostgresEventStore;
  const running: INestMicroservice[] = [];

  const startProjector = async () => {
    const app = await startHarnessProjector({ databaseUrl: database.url, prefix });
    running.push(app);
    return app;
  };

  beforeEach(async () => {
    database = await createTestDatabase('projector');
    prefix = testNatsPrefix('projector');
    client = new LedgerTestClient(prefix);
    pool = database.pool();
    running.push(await startLedger({ databaseUrl: database.url, prefix }));
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

  /** A burst of concurrent finance traffic: grants, events with pending debits/credits, closes, transfers. */
  /** `on`: the ledger client of the realm to load (the default realm's). */
  async function burst(appId: string, users: string[], rounds: number, on: LedgerTestClient = client): Promise<void> {
    const client = on;
    await Promise.all(users.map((user) => client.command({ type: 'Grant', data: { user_id: user, amount: '1000', currency: 'coins', description: null } })));
    await Promise.all(
      Array.from({ length: rounds }, async (_, round) => {
        const user = users[round % users.length];
        const event = await client.command({ type: 'OpenEvent', data: { description: `round ${round}` } }, { app_id: appId });
        const event_id = ok(event).result.event_id;
        const post = (type: 'credit' | 'debit', amount: string) =>
          client.command({ type: 'PostTransaction', data: { user_id: user, event_id, type, amount, currency: 'coins', description: null } }, { app_id: appId });
        await post('debit', String(1 + (round % 7)));
        await post('credit', String(2 + (round % 5)));
        if (round % 3 !== 0) await client.command({ type: 'CloseEvent', data: { event_id } }, { app_id: appId });
        await client.command({
          type: 'Transfer',
          data: {
            from_user_id: user,
            to_user_id: users[(round + 1) % users.length],
            amount: '1',
            currency: 'gems',
            description: null,
          },
        });
        await client.command(
          { type: 'PostTransaction', data: { user_id: user, event_id: null, type: 'credit', amount: '3', currency: 'gems', description: null } },
          { app_id: appId },
        );
      }),
    );
  }

  async function caughtUp(): Promise<void> {
    const head = await store.headPosition();
    const generations = new Generations(pool);
    const deadline = Date.now() + 30000;
    let seen: bigint | undefined | string = 'no read models yet';
    for (;;) {
      try {
        seen = (await generations.checkpoint(await generations.active())).position;
        if (head === undefined || (typeof seen === 'bigint' && seen >= head)) return;
      } catch {
        // not created yet
      }
      if (Date.now() > deadline) throw new Error(`projector stuck at ${String(seen)}, head ${String(head)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const readBalances = async () =>
    (
      await pool.query(
        `SELECT account, currency, posted::text, pending_debit::text, pending_credit::text
           FROM coffer_read.accounts WHERE account LIKE 'user:%' ORDER BY account, currency`,
      )
    ).rows;

  async function ledgerBalances(users: string[]) {
    const rows: Array<Record<string, string>> = [];
    for (const user of [...users].sort()) {
      const reply = ok(await client.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id: user }));
      for (const line of reply.balances.sort((a, b) => a.currency.localeCompare(b.currency))) {
        rows.push({ account: `user:${user}`, currency: line.currency, posted: line.posted, pending_debit: line.pending_debit, pending_credit: line.pending_credit });
      }
    }
    return rows;
  }

  const registerApp = async () =>
    ok(await client.untilAnswered(() => client.command({ type: 'RegisterApp', data: { name: 'Game', key_id: `key_${randomUUID()}`, key_hash: 'h' } }))).result.app_id;

  it('ends equal to the ledger after a burst of concurrent commands, and verify agrees', async () => {
    const app_id = await registerApp();
    const users = ['u1', 'u2', '169015299834642432', 'u4'];
    // Readers waiting for read-your-writes hear each committed batch (READ_CHECKPOINT_CHANNEL).
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    const announced: bigint[] = [];
    listener.on('notification', (message) => announced.push(BigInt(message.payload ?? '-1')));
    await listener.query(`LISTEN ${READ_CHECKPOINT_CHANNEL}`);
    await startProjector();
    await burst(app_id, users, 40);
    await caughtUp();
    const checkpoint = (await pool.query('SELECT position::text AS position FROM coffer_read.checkpoint')).rows[0].position;
    await eventually(() => announced.includes(BigInt(checkpoint)), 'the announcement of the last batch', 10000);
    await listener.end();
    expect(await readBalances()).toEqual(await ledgerBalances(users));
    const events = await pool.query(`SELECT status, count(*)::int AS n FROM coffer_read.finance_events GROUP BY status ORDER BY status`);
    expect(events.rows).toEqual([
      { status: 'closed', n: 26 },
      { status: 'open', n: 14 },
    ]);
    const report = await verify(store, new Generations(pool));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('neither skips nor double-applies when the projector dies and restarts mid-stream', async () => {
    const app_id = await registerApp();
    const users = ['a', 'b', 'c'];
    const projector = await startProjector();
    const load = burst(app_id, users, 30);
    await new Promise((resolve) => setTimeout(resolve, 100));
    running.splice(running.indexOf(projector), 1);
    await projector.close();
    await load;
    await startProjector();
    await caughtUp();
    expect(await readBalances()).toEqual(await ledgerBalances(users));
    const count = await pool.query('SELECT count(*)::int AS n FROM coffer_read.transactions');
    // One row per transaction, whatever events it had (pending, then posted or voided).
    const transactionEvents = (await readAllCommitted(store)).filter((e) => e.type.startsWith('Transaction'));
    const stored = new Set(transactionEvents.map((e) => (e.data as { transaction_id: number }).transaction_id)).size;
    expect(count.rows[0].n).toBe(stored);
    expect(transactionEvents.length).toBeGreaterThan(stored); // some were pending, then posted
    const statuses = await pool.query(`SELECT status, count(*)::int AS n FROM coffer_read.transactions GROUP BY status ORDER BY status`);
    const settledByEvents = transactionEvents.filter((e) => (e.data as { event_id: number | null }).event_id !== null && e.type !== 'TransactionPending').length;
    const pendingRows = statuses.rows.find((row) => row.status === 'pending')?.n ?? 0;
    expect(pendingRows).toBe(transactionEvents.filter((e) => e.type === 'TransactionPending').length - settledByEvents);
    expect((await verify(store, new Generations(pool))).ok).toBe(true);
  });

  it('rebuilds into fresh tables while writes continue and ends equal to the live models', async () => {
    const app_id = await registerApp();
    const users = ['r1', 'r2', 'r3'];
    await startProjector();
    await burst(app_id, users, 20);
    // Text that COPY must escape, in a finance event and in one of its transactions.
    const awkward = 'tab\there, line\nbreak, back\\slash, \\N, ünïcødé';
    const event = await client.command({ type: 'OpenEvent', data: { description: awkward } }, { app_id });
    const event_id = ok(event).result.event_id;
    await client.command({ type: 'PostTransaction', data: { user_id: 'r1', event_id, type: 'credit', amount: '5', currency: 'coins', description: awkward } }, { app_id });
    await client.command({ type: 'CloseEvent', data: { event_id } }, { app_id });
    // A refusal of a command without an Idempotency-Key: on the record, so the rebuilt audit trail has it.
    const refused = await client.command({ type: 'PostTransaction', data: { user_id: 'r-poor', event_id: null, type: 'debit', amount: '5', currency: 'coins', description: null } }, { app_id });
    expect(refused).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    const during = burst(app_id, users, 20);
    // Small pages: pending transactions and open events are carried across many of them.
    const result = await rebuild(store, new Generations(pool), { pageSize: 7 });
    await during;
    await caughtUp();
    expect(result.generation).toBe(2);
    expect(await readBalances()).toEqual(await ledgerBalances(users));
    expect((await verify(store, new Generations(pool))).ok).toBe(true);
    const texts = await pool.query(
      `SELECT description FROM coffer_read.finance_events WHERE event_id = $1
       UNION ALL SELECT description FROM coffer_read.transactions WHERE event_id = $1`,
      [event_id],
    );
    expect(texts.rows).toEqual([{ description: awkward }, { description: awkward }]);
    const audit = await pool.query(
      `SELECT command_type, app_id, user_ids, outcome, events, refusal_code FROM coffer_read.audit_trail WHERE user_ids @> ARRAY['r-poor']`,
    );
    expect(audit.rows).toEqual([
      { command_type: 'PostTransaction', app_id, user_ids: ['r-poor'], outcome: 'refused', events: ['CommandRefused'], refusal_code: 'INSUFFICIENT_FUNDS' },
    ]);
    // The old generation is gone; the views serve the new one.
    const schemas = await pool.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'coffer_rm_%' ORDER BY 1`);
    expect(schemas.rows.map((row) => row.nspname)).toEqual(['coffer_rm_2']);
    // Filled without the reader-only indexes and the lookup keys, it serves with them.
    const indexes = await pool.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'coffer_rm_2' ORDER BY 1`);
    expect(indexes.rows.map((row) => row.indexname)).toEqual(
      expect.arrayContaining([
        'achievement_progress_user',
        'transactions_app',
        'transactions_to_user',
        'transactions_user',
        'transactions_pkey',
        'transactions_realm_event_id_idx',
        'finance_events_pkey',
      ]),
    );
  });

  it("keeps two realms apart: the same transaction, event and user ids in each, live and rebuilt, and verify checks both", async () => {
    running.push(await startLedger({ databaseUrl: database.url, prefix, realm: 'blue' }));
    const blue = new LedgerTestClient(prefix, 'gateway', 'blue');
    try {
      const blueApp = ok(await blue.untilAnswered(() => blue.command({ type: 'RegisterApp', data: { name: 'Blue', key_id: `key_${randomUUID()}`, key_hash: 'h' } }))).result.app_id;
      expect(blueApp).toBe('app_1_blue');
      const homeApp = await registerApp();
      await startProjector();
      // The same users in both realms, each with its own numbering of transactions and finance events.
      const users = ['u1', 'u2', 'u3'];
      await Promise.all([burst(homeApp, users, 12), burst(blueApp, users, 7, blue)]);
      await caughtUp();
      const balancesOf = async (realm: string) =>
        (
          await pool.query(
            `SELECT account, currency, posted::text, pending_debit::text, pending_credit::text
               FROM coffer_read.accounts WHERE realm = $1 AND account LIKE 'user:%' ORDER BY account, currency`,
            [realm],
          )
        ).rows;
      const ledgerBalancesOf = async (on: LedgerTestClient) => {
        const rows: Array<Record<string, string>> = [];
        for (const user of users) {
          const reply = ok(await on.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id: user }));
          for (const line of reply.balances.sort((a, b) => a.currency.localeCompare(b.currency))) {
            rows.push({ account: `user:${user}`, currency: line.currency, posted: line.posted, pending_debit: line.pending_debit, pending_credit: line.pending_credit });
          }
        }
        return rows;
      };
      expect(await balancesOf('blue')).toEqual(await ledgerBalancesOf(blue));
      expect(await balancesOf('default')).toEqual(await ledgerBalancesOf(client));
      expect(await balancesOf('blue')).not.toEqual(await balancesOf('default'));
      // Both realms number from 1: the same ids, two rows.
      const both = await pool.query(`SELECT count(DISTINCT realm)::int AS realms FROM coffer_read.transactions WHERE transaction_id = 1`);
      expect(both.rows).toEqual([{ realms: 2 }]);
      const events = await pool.query(`SELECT realm, app_id FROM coffer_read.finance_events WHERE event_id = 1 ORDER BY realm`);
      expect(events.rows).toEqual([
        { realm: 'blue', app_id: blueApp },
        { realm: 'default', app_id: homeApp },
      ]);
      expect((await verify(store, new Generations(pool))).ok).toBe(true);
      // A rebuild in small pages keeps each realm's pending transactions apart across pages.
      await rebuild(store, new Generations(pool), { pageSize: 5 });
      await caughtUp();
      expect(await balancesOf('blue')).toEqual(await ledgerBalancesOf(blue));
      expect(await balancesOf('default')).toEqual(await ledgerBalancesOf(client));
      expect((await verify(store, new Generations(pool))).ok).toBe(true);
    } finally {
      await blue.close();
    }
  });

  describe('events the read models cannot take', () => {
    /** A posted credit of `amount` to `user` from a house account, appended straight to the store (no ledger). */
    const credit = (transaction_id: number, user: string, amount: string): NewEvent => ({
      id: randomUUID(),
      type: 'TransactionPosted',
      data: {
        transaction_id,
        event_id: null,
        app_id: 'app_x',
        kind: 'credit', // a v1 event (schema_version 1): read through the upcaster
        user_id: user,
        debit_account: 'house:app_x',
        credit_account: `user:${user}`,
        amount,
        currency: 'coins',
        description: null,
        created_at: '2026-11-30T12:00:00.000Z',
      },
      metadata: { schema_version: 1, correlation_id: randomUUID(), causation_id: null, app_id: 'app_x' },
    });
    const quarantineRows = async () =>
      (await pool.query('SELECT consumer, event_id, global_position::text, type, error FROM coffer_meta.quarantine ORDER BY global_position')).rows;

    it('are quarantined, counted and reported by verify, while every good event of their batch is projected', async () => {
      const app_id = await registerApp();
      await startProjector();
      await burst(app_id, ['q1', 'q2'], 4);
      await caughtUp();
      // One append, so one batch: good events around an amount that is no number (the fold
      // throws) and one too large for its numeric(40) column (PostgreSQL refuses it).
      const notANumber = credit(900_002, 'q-bad', 'lots');
      const tooLarge = credit(900_003, 'q-big', '9'.repeat(45));
      await store.append('poison-test', [credit(900_001, 'q-good', '7'), notANumber, tooLarge, credit(900_004, 'q-good', '8')]);
      await client.command({ type: 'Grant', data: { user_id: 'q1', amount: '5', currency: 'coins', description: null } });
      await caughtUp();

      const good = await pool.query(`SELECT transaction_id::int FROM coffer_read.transactions WHERE user_id = 'q-good' ORDER BY 1`);
      expect(good.rows.map((row) => row.transaction_id)).toEqual([900_001, 900_004]);
      const balances = await readBalances();
      expect(balances.filter((row) => row.account !== 'user:q-good')).toEqual(await ledgerBalances(['q1', 'q2']));
      expect(balances.find((row) => row.account === 'user:q-good')).toMatchObject({ posted: '15' });
      const stored = await store.readStream('poison-test');
      expect(await quarantineRows()).toEqual([
        { consumer: 'read-models:1', event_id: notANumber.id, global_position: stored[1].globalPosition.toString(), type: 'TransactionPosted', error: expect.stringMatching(/^UnprojectableEventError: .*BigInt/) },
        { consumer: 'read-models:1', event_id: tooLarge.id, global_position: stored[2].globalPosition.toString(), type: 'TransactionPosted', error: expect.stringMatching(/numeric field overflow/) },
      ]);
      expect((await status(store, new Generations(pool))).quarantined).toEqual({ read_models: 2, feed: 0 });

      const report = await verify(store, new Generations(pool));
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.stringMatching(new RegExp(`^quarantined by the read models: event ${notANumber.id} at position ${stored[1].globalPosition} \\(TransactionPosted\\)`)),
        expect.stringMatching(new RegExp(`^quarantined by the read models: event ${tooLarge.id} at position ${stored[2].globalPosition} \\(TransactionPosted\\)`)),
      ]);

      // A rebuild meets them too: it goes the projector's way, quarantines them in its own
      // generation (with their ids, though a replay reads none), and the old list goes with the old generation.
      const result = await rebuild(store, new Generations(pool), { pageSize: 5 });
      await caughtUp();
      expect((await quarantineRows()).map((row) => [row.consumer, row.event_id])).toEqual([
        [`read-models:${result.generation}`, notANumber.id],
        [`read-models:${result.generation}`, tooLarge.id],
      ]);
      expect((await verify(store, new Generations(pool))).problems).toHaveLength(2);
    });
  });

  it('verify reports a corrupted read-model row and fails', async () => {
    const app_id = await registerApp();
    await startProjector();
    await burst(app_id, ['v1', 'v2'], 6);
    await caughtUp();
    await pool.query(`UPDATE coffer_read.accounts SET posted = posted + 1 WHERE account = 'user:v1' AND currency = 'coins'`);
    const report = await verify(store, new Generations(pool));
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/coins: posted balances sum to 1, not 0/);
    expect(report.problems.join('\n')).toMatch(/accounts: row only in the serving: .*user:v1/);
  });
});
