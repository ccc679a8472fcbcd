import type { INestMicroservice } from '@nestjs/common';
import { createTestDatabase, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { PostgresEventStore } from '@coffer/event-store';
import { randomUUID } from 'node:crypto';
import { LedgerTestClient, ok, startLedger } from './ledger-harness';

jest.setTimeout(60000);

describe('ledger service over NATS and PostgreSQL', () => {
  let database: TestDatabase;
  let prefix: string;
  let client: LedgerTestClient;
  const running: INestMicroservice[] = [];

  const start = async (tuning = {}, eventTimeoutSeconds = 60) => {
    const app = await startLedger({ databaseUrl: database.url, prefix, eventTimeoutSeconds }, tuning);
    running.push(app);
    return app;
  };
  const stop = async (app: INestMicroservice) => {
    running.splice(running.indexOf(app), 1);
    await app.close();
  };

  beforeEach(async () => {
    database = await createTestDatabase('ledger');
    prefix = testNatsPrefix('ledger');
    client = new LedgerTestClient(prefix);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
    await client.close();
    await database.drop();
  });

  const registerApp = async () =>
    ok(await client.untilAnswered(() => client.command({ type: 'RegisterApp', data: { name: 'Game', key_id: `key_${randomUUID()}`, key_hash: randomUUID() } })))
      .result.app_id as string;

  const grant = async (user_id: string, amount: string) =>
    ok(await client.command({ type: 'Grant', data: { user_id, amount, currency: 'coins', description: null } }));

  const balance = async (user_id: string) => {
    const reply = ok(await client.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id }));
    return reply.balances.find((line) => line.currency === 'coins');
  };

  it('lets exactly one of 50 concurrent debits of the last 10 coins through', async () => {
    await start();
    const app_id = await registerApp();
    await grant('alice', '10');
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        client.command(
          { type: 'PostTransaction', data: { user_id: 'alice', event_id: null, type: 'debit', amount: '10', currency: 'coins', description: null } },
          { app_id },
        ),
      ),
    );
    expect(replies.filter((reply) => reply.ok)).toHaveLength(1);
    expect(replies.filter((reply) => !reply.ok && reply.code === 'INSUFFICIENT_FUNDS')).toHaveLength(49);
    expect(await balance('alice')).toMatchObject({ posted: '0', available: '0' });
  });

  it('expires an unpinged event by itself and gives back exactly what it took', async () => {
    await start({ sweepIntervalMs: 50 }, 1);
    const app_id = await registerApp();
    await grant('bob', '100');
    const opened = ok(await client.command({ type: 'OpenEvent', data: { description: null } }, { app_id }));
    const event_id = opened.result.event_id as number;
    const post = (type: 'credit' | 'debit', amount: string) =>
      client.command(
        { type: 'PostTransaction', data: { user_id: 'bob', event_id, type, amount, currency: 'coins', description: null } },
        { app_id },
      );
    ok(await post('debit', '30'));
    ok(await post('credit', '500'));
    expect(await balance('bob')).toMatchObject({ posted: '100', available: '70', pending_debit: '30', pending_credit: '500' });

    const deadline = Date.now() + 10000;
    let status = 'open';
    while (status === 'open' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = ok(await client.query<{ status: string }>({ type: 'GetEvent', event_id, app_id })).status;
    }
    expect(status).toBe('expired');
    expect(await balance('bob')).toMatchObject({ posted: '100', available: '100', pending_debit: '0', pending_credit: '0' });
    const late = await post('debit', '1');
    expect(late).toMatchObject({ ok: false, code: 'EVENT_NOT_OPEN' });
  });

  it('rebuilds the same state from a snapshot plus the tail after a restart', async () => {
    const first = await start({ snapshotEvery: 5 });
    const app_id = await registerApp();
    for (let i = 0; i < 12; i++) await grant(`user${i % 3}`, String(10 + i));
    const event_id = ok(await client.command({ type: 'OpenEvent', data: { description: 'match' } }, { app_id })).result.event_id;
    ok(
      await client.command(
        { type: 'PostTransaction', data: { user_id: 'user1', event_id, type: 'debit', amount: '7', currency: 'coins', description: null } },
        { app_id },
      ),
    );
    const before = await Promise.all(['user0', 'user1', 'user2'].map(balance));
    await stop(first);

    await start({ snapshotEvery: 5 });
    const after = await client.untilAnswered(() => client.query({ type: 'GetBalance', user_id: 'user1' }));
    expect(ok(after)).toBeTruthy();
    expect(await Promise.all(['user0', 'user1', 'user2'].map(balance))).toEqual(before);
    const closed = ok(await client.command({ type: 'CloseEvent', data: { event_id } }, { app_id }));
    expect(closed.result).toMatchObject({ event_id, status: 'closed' });
    expect(await balance('user1')).toMatchObject({ pending_debit: '0' });
  });

  it.each([
    ['from a snapshot plus the tail', { snapshotEvery: 3 }],
    ['from the stream alone', {}],
  ])('keeps a waiting withdrawal and deposit across a restart (%s), and decides them after', async (_how, tuning) => {
    const first = await start(tuning);
    const app_id = await registerApp();
    await grant('payee', '100');
    const link = ok(
      await client.command(
        { type: 'LinkExternalAccount', data: { user_id: 'payee', kind: 'bank', label: 'savings', reference_hash: 'b'.repeat(64), reference_last4: '3000' } },
        { app_id },
      ),
    ).result;
    const account = { user_id: 'payee', currency: 'coins', external_account_id: link.external_account_id };
    const withdrawal = ok(await client.command({ type: 'RequestWithdrawal', data: { ...account, amount: '40' } }, { app_id })).result;
    const deposit = ok(await client.command({ type: 'RequestDeposit', data: { ...account, amount: '25', reference_hash: 'c'.repeat(64), reference_last4: '7731' } }, { app_id })).result;
    expect(withdrawal).toMatchObject({ withdrawal_id: 1, status: 'waiting_for_verification' });
    expect(await balance('payee')).toMatchObject({ available: '60', posted: '100', pending_debit: '40', pending_credit: '25' });
    await stop(first);

    await start(tuning);
    await client.untilAnswered(() => client.query({ type: 'GetBalance', user_id: 'payee' }));
    expect(await balance('payee')).toMatchObject({ available: '60', posted: '100', pending_debit: '40', pending_credit: '25' });
    const accepted = ok(await client.command({ type: 'AcceptWithdrawal', data: { withdrawal_id: withdrawal.withdrawal_id } }));
    expect(accepted.result).toMatchObject({ withdrawal_id: 1, status: 'accepted', amount: '40' });
    const declined = ok(await client.command({ type: 'DeclineDeposit', data: { deposit_id: deposit.deposit_id, reason: 'no such payment' } }));
    expect(declined.result).toMatchObject({ deposit_id: 1, status: 'declined', reason: 'no such payment' });
    expect(await balance('payee')).toMatchObject({ available: '60', posted: '60', pending_debit: '0', pending_credit: '0' });
    // decided once: again is a conflict, after the restart as before it
    const again = await client.command({ type: 'AcceptWithdrawal', data: { withdrawal_id: withdrawal.withdrawal_id } });
    expect(again).toMatchObject({ ok: false, code: 'CONFLICT' });
  });

  it('answers a retried command id with the first answer and refuses a reused key with another body', async () => {
    await start();
    const app_id = await registerApp();
    await grant('carol', '50');
    const command = { type: 'PostTransaction' as const, data: { user_id: 'carol', event_id: null, type: 'debit' as const, amount: '20', currency: 'coins', description: null } };
    const options = { commandId: `${app_id}:key-1`, requestHash: 'hash-a' };
    const [first, second] = await Promise.all([
      client.command(command, { app_id }, options),
      client.command(command, { app_id }, options),
    ]);
    expect(ok(first).replayed).toBe(false);
    expect(ok(second)).toMatchObject({ replayed: true, result: ok(first).result });
    const reused = await client.command({ ...command, data: { ...command.data, amount: '1' } }, { app_id }, { ...options, requestHash: 'hash-b' });
    expect(reused).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await balance('carol')).toMatchObject({ posted: '30' });

    // A refused command answers the same refusal on replay, even after funds arrive.
    const big = { ...command, data: { ...command.data, amount: '100' } };
    const refusedOnce = { commandId: `${app_id}:key-2`, requestHash: 'hash-c' };
    expect(await client.command(big, { app_id }, refusedOnce)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    await grant('carol', '500');
    expect(await client.command(big, { app_id }, refusedOnce)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await balance('carol')).toMatchObject({ posted: '530' });
  });

  it('hands over to the standby when the active ledger stops, losing and doubling nothing', async () => {
    const active = await start();
    const app_id = await registerApp();
    const standby = await start();
    const health = await client.untilAnswered(() => client.query({ type: 'GetBalance', user_id: 'nobody' }));
    expect(health.ok).toBe(true);

    const acknowledged: string[] = [];
    let stopping = false;
    const load = (async () => {
      for (let i = 0; i < 400 && !(stopping && acknowledged.length > 60); i++) {
        const commandId = `${app_id}:grant-${i}`;
        const send = () =>
          client.command({ type: 'Grant', data: { user_id: 'dave', amount: '1', currency: 'coins', description: null } }, { app_id: null }, {
            commandId,
            requestHash: `h${i}`,
          });
        const reply = await client.untilAnswered(send, 30000);
        if (reply.ok) acknowledged.push(commandId);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    stopping = true;
    await stop(active);
    await load;
    expect(acknowledged.length).toBeGreaterThan(0);
    // Every acknowledged grant is in the books exactly once, as the standby, once active, says.
    // (The load may have finished before the stop: the standby can still be taking over.)
    const books = ok(await client.untilAnswered(() => client.query<{ balances: Array<Record<string, string>> }>({ type: 'GetBalance', user_id: 'dave' })));
    expect(books.balances.find((line) => line.currency === 'coins')).toMatchObject({ posted: String(acknowledged.length) });
    expect(standby).toBeDefined();
  });

  it('fences a writer whose stream another writer has appended to', async () => {
    await start();
    await registerApp();
    const store = await PostgresEventStore.connect({ connectionString: database.url });
    const [last] = await store.readStream('ledger-default', { direction: 'backwards', maxCount: 1 });
    await store.append(
      'ledger-default',
      [
        {
          id: randomUUID(),
          type: 'WriterTermStarted',
          data: { term: 99, instance_id: 'intruder', started_at: new Date().toISOString() },
          metadata: { schema_version: 1, correlation_id: 'x', causation_id: null, app_id: null },
        },
      ],
      last.streamPosition,
    );
    await store.close();
    const refused = await client.command({ type: 'Grant', data: { user_id: 'erin', amount: '5', currency: 'coins', description: null } });
    expect(refused).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    // The fenced writer steps down, takes the lock again, rebuilds (seeing term 99) and writes on.
    const next = await client.untilAnswered(() =>
      client.command({ type: 'Grant', data: { user_id: 'erin', amount: '5', currency: 'coins', description: null } }),
    );
    expect(next.ok).toBe(true);
    expect(await balance('erin')).toMatchObject({ posted: '5' });
  });
});
