import { DEFAULT_IDEMPOTENCY_RETENTION_MS, MAX_APPS_PER_PAGE, type AppsReply, type BalanceReply, type FinanceEventDetails, type Reply } from '@coffer/contracts';
import { houseAccount, TREASURY, userAccount } from './accounts';
import { evolve } from './evolve';
import { answer, balanceOfUser } from './queries';
import { restore, snapshot, snapshotLines } from './snapshot';
import { balanceOf } from './state';
import {
  ADMIN,
  apiKeyIssued,
  apiKeyRevoked,
  appRegistered,
  appWithKey,
  apply,
  at,
  COINS,
  credit,
  debit,
  closing,
  eventClosed,
  eventExpired,
  expiring,
  eventOpened,
  pinged,
  given,
  GivenState,
  granted,
  iso,
  pending,
  posted,
  postedAtClose,
  restarted,
  SNOWFLAKE,
  keyOf,
  SYSTEM,
  transferred,
  when,
  voidedAtExpiry,
  withMetadata,
} from '../../test/given-when-then';

const app1 = appRegistered('app_1');
const app2 = appRegistered('app_2');

const bal = (posted: bigint, pendingDebit = 0n, pendingCredit = 0n) => ({ posted, pendingDebit, pendingCredit });

function ok<T>(reply: Reply<unknown>): T {
  if (!reply.ok) throw new Error(`expected an answer, got ${reply.code}`);
  return reply.result as T;
}

describe('evolve: balances', () => {
  const history = [
    app1,
    granted(1, 'alice', 100),
    eventOpened(1),
    pending(2, 1, 'debit', 'alice', 30),
    pending(3, 1, 'credit', 'bob', 50),
  ];

  it('pending transactions move pending amounts, not posted ones', () => {
    const state = given(...history);
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(100n, 30n, 0n));
    expect(balanceOf(state, userAccount('bob'), COINS)).toEqual(bal(0n, 0n, 50n));
    expect(balanceOf(state, houseAccount('app_1'), COINS)).toEqual(bal(0n, 50n, 30n));
    expect(balanceOf(state, TREASURY, COINS)).toEqual(bal(-100n));
  });

  // A v2 store posts each pending transaction before the close; a v1 store (read through the
  // upcaster) has the close alone, which posts whatever is still pending: the same state.
  it.each([
    ['TransactionPosted for each, then EventClosed', closing(1, [history[3], history[4]], 10)],
    ['EventClosed alone (a v1 store)', [eventClosed(1, 10)]],
  ])('close posts what the event took and gave: %s', (_how, close) => {
    const state = given(...history, close);
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(70n));
    expect(balanceOf(state, userAccount('bob'), COINS)).toEqual(bal(50n));
    expect(balanceOf(state, houseAccount('app_1'), COINS)).toEqual(bal(-20n));
    expect(state.pendingTransactions.size).toBe(0);
    expect(state.openEvents.has(1)).toBe(false);
    expect(state.settledEvents.get(1)).toEqual({ app_id: 'app_1', status: 'closed' });
  });

  it.each([
    ['TransactionVoided for each, then EventExpired', expiring(1, [history[3], history[4]])],
    ['EventExpired alone (a v1 store)', [eventExpired(1)]],
  ])('expiry gives back exactly what the event took and keeps nothing it gave: %s', (_how, expiry) => {
    const state = given(...history, expiry);
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(100n)); // the debit is returned
    expect(balanceOf(state, userAccount('bob'), COINS)).toEqual(bal(0n)); // the credit never arrives
    expect(balanceOf(state, houseAccount('app_1'), COINS)).toEqual(bal(0n));
    expect(balanceOf(state, TREASURY, COINS)).toEqual(bal(-100n));
    expect(state.pendingTransactions.size).toBe(0);
    expect(state.openEvents.has(1)).toBe(false);
    expect(state.settledEvents.get(1)).toEqual({ app_id: 'app_1', status: 'expired' });
  });

  it('expiry through decide: the user credited inside ends with nothing, the user debited gets it back', () => {
    const state = given(...appWithKey('app_1'), granted(1, 'alice', 100));
    apply(state, state.when({ type: 'OpenEvent', data: { description: null } }));
    apply(state, state.when(debit('alice', '60', 1), { now: at(1) }));
    apply(state, state.when(credit(SNOWFLAKE, '1000000000000000000', 1), { now: at(2) }));
    expect(balanceOfUser(state, 'alice').balances).toEqual([
      { currency: COINS, available: '40', posted: '100', pending_debit: '60', pending_credit: '0' },
    ]);
    apply(state, state.when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(60) }));
    expect(balanceOfUser(state, 'alice').balances).toEqual([
      { currency: COINS, available: '100', posted: '100', pending_debit: '0', pending_credit: '0' },
    ]);
    expect(balanceOfUser(state, SNOWFLAKE).balances).toEqual([
      { currency: COINS, available: '0', posted: '0', pending_debit: '0', pending_credit: '0' },
    ]);
  });

  it('an event settles only its own transactions', () => {
    const state = given(
      app1,
      app2,
      granted(1, 'alice', 100),
      eventOpened(1, 'app_1'),
      eventOpened(2, 'app_2'),
      pending(2, 1, 'debit', 'alice', 10),
      pending(3, 2, 'debit', 'alice', 20, { app_id: 'app_2' }),
      eventClosed(1, 5),
    );
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(90n, 20n, 0n));
    expect([...state.pendingTransactions.keys()]).toEqual([3]);
    evolve(state, eventExpired(2));
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(90n));
    expect(balanceOf(state, houseAccount('app_1'), COINS)).toEqual(bal(10n));
    expect(balanceOf(state, houseAccount('app_2'), COINS)).toEqual(bal(0n));
  });

  it('transfers and posted credits/debits move posted balances at once', () => {
    const state = given(app1, posted(1, 'credit', 'alice', 50), transferred(2, 'alice', 'bob', 20), posted(3, 'debit', 'bob', 5));
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(bal(30n));
    expect(balanceOf(state, userAccount('bob'), COINS)).toEqual(bal(15n));
    expect(balanceOf(state, houseAccount('app_1'), COINS)).toEqual(bal(-45n));
  });

  it('keeps counters ahead of every id seen', () => {
    const state = given(app1, app2, eventOpened(7), granted(41, 'alice', 1));
    expect(state.nextAppNumber).toBe(3);
    expect(state.nextEventId).toBe(8);
    expect(state.nextTransactionId).toBe(42);
    expect(state.revision).toBe(3n);
  });

  it('remembers the events a command sent with a request hash is answered from, with its position', () => {
    const state = given(app1);
    evolve(state, {
      ...withMetadata(posted(1, 'credit', 'alice', 5), 'cmd-1', 'h'),
      streamPosition: 10n,
      globalPosition: 1234n,
    });
    expect(state.revision).toBe(10n);
    expect(state.memory.keyed.get('cmd-1')).toEqual({
      request_hash: 'h',
      position: '1234',
      reply: [{ type: 'TransactionPosted', data: expect.objectContaining({ transaction_id: 1, amount: '5' }) }],
      remembered_until_ms: at(0).getTime() + DEFAULT_IDEMPOTENCY_RETENTION_MS,
    });
  });
});

describe('evolve: remembered commands are forgotten by event time', () => {
  const RETENTION_MS = 60_000;
  const stamped = (event: Parameters<typeof withMetadata>[0], command_id: string, request_hash: string | null, seconds: number, deadlineSeconds = seconds + 5) =>
    withMetadata(event, command_id, request_hash, {
      decided_at_epoch_ms: at(seconds).getTime(),
      deadline_epoch_ms: at(deadlineSeconds).getTime(),
    });
  const fresh = () => {
    const state = new GivenState(RETENTION_MS);
    evolve(state, app1);
    return state;
  };

  it('prunes a keyed record at the first event at or after its window ends, not before', () => {
    const state = fresh();
    evolve(state, stamped(posted(1, 'credit', 'alice', 1), 'app_1:a', 'h', 0));
    evolve(state, stamped(posted(2, 'credit', 'alice', 1), 'other', null, 59.999));
    expect(state.memory.keyed.has('app_1:a')).toBe(true);
    evolve(state, stamped(posted(3, 'credit', 'alice', 1), 'other-2', null, 60));
    expect(state.memory.keyed.has('app_1:a')).toBe(false);
    expect(state.memory.clockMs).toBe(at(60).getTime());
  });

  it('prunes a record without a key at the first event at or after its deadline', () => {
    const state = fresh();
    evolve(state, stamped(posted(1, 'credit', 'alice', 1), 'cmd-1', null, 0, 5));
    evolve(state, stamped(posted(2, 'credit', 'alice', 1), 'app_1:b', 'h', 4.999));
    expect([...state.memory.unkeyed.keys()]).toEqual(['cmd-1']);
    evolve(state, stamped(posted(3, 'credit', 'alice', 1), 'app_1:c', 'h', 5));
    expect([...state.memory.unkeyed.keys()]).toEqual([]);
  });

  it('holds only the commands of the last window: a steady stream keeps it at rate × window', () => {
    const state = fresh();
    // one keyed and one unkeyed command per second for ten minutes
    for (let second = 0; second < 600; second++) {
      evolve(state, stamped(posted(2 * second + 1, 'credit', 'alice', 1), `app_1:${second}`, 'h', second));
      evolve(state, stamped(posted(2 * second + 2, 'credit', 'alice', 1), `cmd-${second}`, null, second + 0.5, second + 5.5));
    }
    expect(state.memory.keyed.size).toBe(RETENTION_MS / 1000);
    expect(state.memory.unkeyed.size).toBe(5);
  });

  it("uses the time in an event's data when its metadata has none (events written before decision times were)", () => {
    const state = fresh();
    evolve(state, withMetadata(posted(1, 'credit', 'alice', 1, { seconds: 10 }), 'app_1:old', 'h'));
    expect(state.memory.keyed.get('app_1:old')?.remembered_until_ms).toBe(at(10).getTime() + RETENTION_MS);
    expect(state.memory.clockMs).toBe(at(10).getTime());
  });

  it('does not remember the ledger\'s own commands (no deadline) or commands past their deadline', () => {
    const state = fresh();
    evolve(state, withMetadata(eventOpened(1), 'system-1', null, { decided_at_epoch_ms: at(0).getTime(), deadline_epoch_ms: null }));
    evolve(state, stamped(posted(1, 'credit', 'alice', 1), 'late', null, 10, 10));
    expect(state.memory.unkeyed.size).toBe(0);
  });

  it('a snapshot keeps the clock and both memories, and restores them in their order', () => {
    const state = fresh();
    evolve(state, stamped(posted(1, 'credit', 'alice', 1), 'app_1:a', 'h', 1));
    evolve(state, stamped(posted(2, 'credit', 'alice', 1), 'cmd-1', null, 2));
    const restored = restarted(state, RETENTION_MS);
    expect(restored.memory.clockMs).toBe(state.memory.clockMs);
    expect([...restored.memory.keyed]).toEqual([...state.memory.keyed]);
    expect([...restored.memory.unkeyed]).toEqual([...state.memory.unkeyed]);
  });
});

describe('evolve: invariants', () => {
  const history = [app1, granted(1, 'alice', 100), eventOpened(1), pending(2, 1, 'debit', 'alice', 30)];

  it('settling an event twice throws', () => {
    const state = given(...history, closing(1, [history[3]]));
    expect(() => evolve(state, eventClosed(1))).toThrow('ledger invariant violated');
    expect(() => evolve(state, eventExpired(1))).toThrow('ledger invariant violated');
  });

  it('a transaction leaves pending once: posting or voiding it again, or one never pending, throws', () => {
    const state = given(...history, postedAtClose(history[3]));
    expect(() => evolve(state, postedAtClose(history[3]))).toThrow('ledger invariant violated');
    expect(() => evolve(state, voidedAtExpiry(history[3]))).toThrow('ledger invariant violated');
    expect(() => evolve(given(...history), voidedAtExpiry(pending(3, 1, 'debit', 'alice', 1)))).toThrow('ledger invariant violated');
  });

  it("posting a pending transaction under another event than its own throws", () => {
    const state = given(...history, eventOpened(2));
    const other = postedAtClose(history[3]);
    expect(() => evolve(state, { ...other, data: { ...other.data, event_id: 2 } } as typeof other)).toThrow('ledger invariant violated');
  });

  it('posting an overdraft of a user wallet throws', () => {
    expect(() => given(...history, posted(3, 'debit', 'alice', 71))).toThrow('ledger invariant violated');
  });

  it('settling or pinging an unknown event throws', () => {
    expect(() => given(app1, eventClosed(9))).toThrow('ledger invariant violated');
    expect(() => given(app1, pinged(9, 10))).toThrow('ledger invariant violated');
  });

  it('a pending transaction of an unknown event throws', () => {
    expect(() => given(app1, pending(1, 9, 'credit', 'alice', 1))).toThrow('ledger invariant violated');
  });

  it('a key of an unknown app, or revoking an unknown key, throws', () => {
    expect(() => given(apiKeyIssued('app_1', 'k1'))).toThrow('ledger invariant violated');
    expect(() => given(app1, apiKeyRevoked('app_1', 'k1'))).toThrow('ledger invariant violated');
  });
});

describe('queries', () => {
  it('GetBalance lists every currency of the wallet with available = posted − pending debit', () => {
    const state = given(
      app1,
      granted(1, 'alice', 100),
      granted(2, 'alice', '1000000000000000000', { currency: 'gems' }),
      eventOpened(1),
      pending(3, 1, 'debit', 'alice', 30),
      pending(4, 1, 'credit', 'alice', 12),
    );
    const reply = ok<BalanceReply>(answer(state, { type: 'GetBalance', user_id: 'alice' }, ''));
    expect(reply.user_id).toBe('alice');
    expect(reply.balances).toEqual([
      { currency: COINS, available: '70', posted: '100', pending_debit: '30', pending_credit: '12' },
      { currency: 'gems', available: '1000000000000000000', posted: '1000000000000000000', pending_debit: '0', pending_credit: '0' },
    ]);
  });

  it('GetBalance of an unknown user has no lines', () => {
    expect(ok<BalanceReply>(answer(given(app1), { type: 'GetBalance', user_id: SNOWFLAKE }, ''))).toEqual({
      user_id: SNOWFLAKE,
      balances: [],
    });
  });

  it('GetBalance does not mistake a user for a house account with a similar name', () => {
    const state = given(app1, posted(1, 'credit', 'app_1', 5));
    expect(ok<BalanceReply>(answer(state, { type: 'GetBalance', user_id: 'app_1' }, '')).balances).toEqual([
      { currency: COINS, available: '5', posted: '5', pending_debit: '0', pending_credit: '0' },
    ]);
  });

  const eventHistory = [
    app1,
    app2,
    granted(1, 'alice', 100),
    eventOpened(1, 'app_1', 0, 'poker hand'),
    pending(2, 1, 'debit', 'alice', 30, { seconds: 1 }),
    pending(3, 1, 'credit', 'bob', 10, { seconds: 2 }),
    pinged(1, 20),
  ];

  it('GetEvent shows an open event with its pending transactions', () => {
    const details = ok<FinanceEventDetails>(answer(given(...eventHistory), { type: 'GetEvent', event_id: 1, app_id: 'app_1' }, ''));
    expect(details).toEqual({
      event_id: 1,
      app_id: 'app_1',
      description: 'poker hand',
      status: 'open',
      opened_at: iso(0),
      last_ping_at: iso(20),
      expires_at: iso(80),
      closed_at: null,
      expired_at: null,
      aborted_at: null,
      transactions: [
        {
          transaction_id: 2,
          event_id: 1,
          user_id: 'alice',
          type: 'debit',
          amount: '30',
          currency: COINS,
          status: 'pending',
          description: null,
          reverses_transaction_id: null,
          created_at: iso(1),
        },
        expect.objectContaining({ transaction_id: 3, user_id: 'bob', type: 'credit', amount: '10', status: 'pending' }),
      ],
    });
  });

  it('GetEvent points a settled event to the read models, from the position asked at on', () => {
    const closed = answer(given(...eventHistory, closing(1, eventHistory.slice(4, 6), 30)), { type: 'GetEvent', event_id: 1, app_id: 'app_1' }, '77');
    expect(ok(closed)).toEqual({ settled: true, event_id: 1, status: 'closed', position: '77' });
    const expired = answer(given(...eventHistory, expiring(1, eventHistory.slice(4, 6), 80)), { type: 'GetEvent', event_id: 1, app_id: null }, '78');
    expect(ok(expired)).toEqual({ settled: true, event_id: 1, status: 'expired', position: '78' });
  });

  it("GetEvent: another app's settled event is NOT_FOUND too", () => {
    const state = given(...eventHistory, closing(1, eventHistory.slice(4, 6), 30));
    expect(answer(state, { type: 'GetEvent', event_id: 1, app_id: 'app_2' }, '')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('a settled event leaves nothing of its details in the state', () => {
    const state = given(...eventHistory, closing(1, eventHistory.slice(4, 6), 30));
    expect(state.openEvents.size).toBe(0);
    expect(state.pendingTransactions.size).toBe(0);
    expect(JSON.stringify(snapshot(state))).not.toContain('poker hand');
  });

  it("GetEvent: another app's event or an unknown one is NOT_FOUND; the admin sees any", () => {
    const state = given(...eventHistory);
    const other = answer(state, { type: 'GetEvent', event_id: 1, app_id: 'app_2' }, '');
    expect(other).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(answer(state, { type: 'GetEvent', event_id: 2, app_id: 'app_1' }, '')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(ok<FinanceEventDetails>(answer(state, { type: 'GetEvent', event_id: 1, app_id: null }, '')).app_id).toBe('app_1');
  });

  it('GetEvent returns copies: changing the answer does not change the state', () => {
    const state = given(...eventHistory);
    const details = ok<FinanceEventDetails>(answer(state, { type: 'GetEvent', event_id: 1, app_id: 'app_1' }, ''));
    details.transactions[0].status = 'voided';
    expect(state.openEvents.get(1)!.transactions[0].status).toBe('pending');
  });

  it('ListApps and ListApiKeys show apps and keys with revocations', () => {
    const state = given(app1, apiKeyIssued('app_1', 'k1'), apiKeyIssued('app_1', 'k2', 5), apiKeyRevoked('app_1', 'k1', 9), app2);
    expect(ok(answer(state, { type: 'ListApps' }, ''))).toEqual({
      data: [
        {
          app_id: 'app_1',
          name: 'App app_1',
          created_at: iso(0),
          keys: [
            { app_id: 'app_1', key_id: 'k1', created_at: iso(0), revoked_at: iso(9) },
            { app_id: 'app_1', key_id: 'k2', created_at: iso(5), revoked_at: null },
          ],
        },
        { app_id: 'app_2', name: 'App app_2', created_at: iso(0), keys: [] },
      ],
      next_cursor: null,
    });
    expect(ok(answer(state, { type: 'ListApiKeys' }, '77'))).toEqual({
      keys: [
        { app_id: 'app_1', key_id: 'k1', key_hash: 'hash-of-k1', revoked: true },
        { app_id: 'app_1', key_id: 'k2', key_hash: 'hash-of-k2', revoked: false },
      ],
      position: '77',
    });
  });

  it(`ListApps answers a page of at most MAX_APPS_PER_PAGE apps after a cursor, in the order they were registered`, () => {
    const state = given();
    for (let n = 1; n <= MAX_APPS_PER_PAGE + 1; n++) evolve(state, appRegistered(`app_${n}`));
    const names = (reply: unknown) => (reply as AppsReply).data.map((app) => app.app_id);
    const full = ok<AppsReply>(answer(state, { type: 'ListApps' }, ''));
    expect(full.data).toHaveLength(MAX_APPS_PER_PAGE);
    expect(full.next_cursor).toBe(`app_${MAX_APPS_PER_PAGE}`);
    expect(ok<AppsReply>(answer(state, { type: 'ListApps', after: full.next_cursor!, limit: 5 }, ''))).toMatchObject({
      data: [{ app_id: `app_${MAX_APPS_PER_PAGE + 1}` }],
      next_cursor: null,
    });
    const two = ok<AppsReply>(answer(state, { type: 'ListApps', after: 'app_9', limit: 2 }, ''));
    expect([names(two), two.next_cursor]).toEqual([['app_10', 'app_11'], 'app_11']);
    expect(names(ok(answer(state, { type: 'ListApps', limit: 1000 }, '')))).toHaveLength(MAX_APPS_PER_PAGE);
  });

  it('a grant through decide shows in the balance at once', () => {
    const state = given();
    apply(state, state.when({ type: 'Grant', data: { user_id: SNOWFLAKE, amount: '1000000000000000000', currency: COINS, description: 'welcome' } }, ADMIN));
    expect(balanceOfUser(state, SNOWFLAKE).balances[0]).toMatchObject({ available: '1000000000000000000' });
  });
});

describe('snapshot', () => {
  const history = [
    app1,
    apiKeyIssued('app_1', 'k1'),
    app2,
    apiKeyRevoked('app_1', 'k1', 3),
    apiKeyIssued('app_1', keyOf('app_1'), 3),
    granted(1, SNOWFLAKE, '1000000000000000000'),
    granted(2, 'alice', 50, { currency: 'gems' }),
    eventOpened(1),
    pending(3, 1, 'debit', SNOWFLAKE, '999999999999999999'),
    pending(4, 1, 'credit', 'bob', 5),
    eventOpened(2, 'app_2'),
    eventClosed(2, 4),
    eventOpened(3, 'app_1', 5),
    withMetadata(transferred(5, 'alice', 'bob', 10, { currency: 'gems' }), 'cmd-1', 'h1'),
  ];

  it('survives JSON and restores an equal state, indexes included', () => {
    const state = given(...history);
    const restored = restarted(state);
    expect(snapshot(restored)).toEqual(snapshot(state));
    expect(restored.revision).toBe(state.revision);
    expect([...restored.openEvents.keys()]).toEqual([1, 3]);
    expect(restored.settledEvents).toEqual(state.settledEvents);
    expect(restored.keyOwners).toEqual(state.keyOwners);
    expect(restored.currenciesOf).toEqual(state.currenciesOf);
    expect(balanceOfUser(restored, SNOWFLAKE)).toEqual(balanceOfUser(state, SNOWFLAKE));
  });

  it('a restored state decides and evolves exactly like the original', () => {
    const state = given(...history);
    const restored = restarted(state);
    const close = { type: 'CloseEvent', data: { event_id: 1 } } as const;
    const context = { now: at(10), command_id: 'c', request_hash: null };
    expect(when(restored, close, context)).toEqual(state.when(close, context));
    expect(when(restored, debit(SNOWFLAKE, '2'), context)).toMatchObject({ kind: 'refused', refusal: { code: 'INSUFFICIENT_FUNDS' } });
    expect(when(restored, credit('bob', '1', null, 'gems'), { ...context, command_id: 'cmd-1', request_hash: 'h1' })).toMatchObject({
      kind: 'replay',
    });
    apply(state, state.when(close, context));
    apply(restored, when(restored, close, context));
    expect(snapshot(restored)).toEqual(snapshot(state));
    expect(balanceOf(restored, userAccount(SNOWFLAKE), COINS)).toEqual(bal(1n));
  });

  it('refuses a snapshot of another version', () => {
    expect(() => restore({ ...JSON.parse([...snapshotLines(given())][0]), version: 99 }, [])).toThrow('unknown ledger snapshot version 99');
  });
});
