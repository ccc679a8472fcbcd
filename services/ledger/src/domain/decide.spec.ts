import { DEFAULT_IDEMPOTENCY_RETENTION_MS, MAX_DEADLINE_AHEAD_MS, type LedgerCommand } from '@coffer/contracts';
import { evolve } from './evolve';
import { balanceOf } from './state';
import { dueEvents, MAX_PENDING_TRANSACTIONS_PER_EVENT } from './decide';
import { recordedRefusal } from './decider';
import { houseAccount, TREASURY, userAccount } from './accounts';
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
  eventsOf,
  expectEvents,
  expectRefusal,
  given,
  GivenState,
  grant,
  granted,
  iso,
  keyOf,
  pending,
  posted,
  REWARD,
  SNOWFLAKE,
  SYSTEM,
  transactionData,
  transfer,
  transferred,
  withMetadata,
  replayed,
} from '../../test/given-when-then';

const app1 = appWithKey('app_1');
const app2 = appWithKey('app_2');

describe('decide: finance events', () => {
  it('opens an event with the next id, expiring now + timeout', () => {
    expectEvents(given(...app1).when({ type: 'OpenEvent', data: { description: 'round 1' } }), [
      {
        type: 'EventOpened',
        data: { event_id: 1, app_id: 'app_1', description: 'round 1', opened_at: iso(0), expires_at: iso(60) },
      },
    ]);
  });

  it('gives increasing event ids, whatever app opened the earlier ones', () => {
    const state = given(...app1, ...app2, eventOpened(1, 'app_1'), eventOpened(2, 'app_2'), eventClosed(1));
    const [opened] = eventsOf(state.when({ type: 'OpenEvent', data: { description: null } }, { app_id: 'app_2' }));
    expect(opened).toMatchObject({ type: 'EventOpened', data: { event_id: 3, app_id: 'app_2' } });
  });

  it('uses the configured timeout for the deadline', () => {
    const [opened] = eventsOf(given(...app1).when({ type: 'OpenEvent', data: { description: null } }, { eventTimeoutSeconds: 5 }));
    expect(opened.data).toMatchObject({ expires_at: iso(5) });
  });

  it('refuses a description longer than 500 characters', () => {
    expectRefusal(given(...app1).when({ type: 'OpenEvent', data: { description: 'x'.repeat(501) } }), 'VALIDATION_FAILED');
  });

  it('a ping extends the deadline to now + timeout', () => {
    expectEvents(given(...app1, eventOpened(1)).when({ type: 'PingEvent', data: { event_id: 1 } }, { now: at(45) }), [
      { type: 'Pinged', data: { event_id: 1, pinged_at: iso(45), expires_at: iso(105) } },
    ]);
  });

  it('a pinged event is still open after its first deadline', () => {
    const state = given(...app1, eventOpened(1), pinged(1, 50));
    expectEvents(state.when({ type: 'PingEvent', data: { event_id: 1 } }, { now: at(100) }), [
      { type: 'Pinged', data: { event_id: 1, pinged_at: iso(100), expires_at: iso(160) } },
    ]);
  });

  describe.each<[string, (event_id: number) => LedgerCommand]>([
    ['ping', (event_id) => ({ type: 'PingEvent', data: { event_id } })],
    ['close', (event_id) => ({ type: 'CloseEvent', data: { event_id } })],
    ['post', (event_id) => credit('alice', '5', event_id)],
  ])('%s', (_name, on) => {
    const command = on(1);

    it('on a closed event is refused EVENT_NOT_OPEN', () => {
      expectRefusal(given(...app1, eventOpened(1), eventClosed(1, 10)).when(command, { now: at(20) }), 'EVENT_NOT_OPEN', {
        status: 'closed',
      });
    });

    it('on an expired event is refused EVENT_NOT_OPEN', () => {
      expectRefusal(given(...app1, eventOpened(1), eventExpired(1, 60)).when(command, { now: at(61) }), 'EVENT_NOT_OPEN', {
        status: 'expired',
      });
    });

    it('on an open event past its deadline, not yet swept, is refused EVENT_NOT_OPEN', () => {
      const state = given(...app1, eventOpened(1));
      expectRefusal(state.when(command, { now: at(60) }), 'EVENT_NOT_OPEN', { status: 'expired' });
      expectRefusal(state.when(command, { now: at(3600) }), 'EVENT_NOT_OPEN', { status: 'expired' });
    });

    it('one millisecond before the deadline still works', () => {
      const decision = given(...app1, eventOpened(1)).when(command, { now: new Date(at(60).getTime() - 1) });
      expect(decision.kind).toBe('events');
    });

    it("on another app's event is refused NOT_FOUND (even once closed)", () => {
      expectRefusal(given(...app1, ...app2, eventOpened(1, 'app_2')).when(command), 'NOT_FOUND');
      expectRefusal(given(...app1, ...app2, eventOpened(1, 'app_2'), eventClosed(1)).when(command), 'NOT_FOUND');
    });

    it('on an unknown event is refused NOT_FOUND', () => {
      expectRefusal(given(...app1, eventOpened(1)).when(on(7)), 'NOT_FOUND');
      expectRefusal(given(...app1).when(command), 'NOT_FOUND');
    });
  });

  it('close posts exactly the pending transactions of the event, each with its own TransactionPosted, then closes it', () => {
    const alice = pending(2, 1, 'debit', 'alice', 30);
    const bob = pending(4, 1, 'credit', 'bob', 12);
    const state = given(
      ...app1,
      granted(1, 'alice', 100),
      eventOpened(1),
      eventOpened(2),
      alice,
      pending(3, 2, 'credit', 'bob', 7),
      bob,
      posted(5, 'credit', 'carol', 1),
    );
    expectEvents(state.when({ type: 'CloseEvent', data: { event_id: 1 } }, { now: at(10) }), [
      { type: 'TransactionPosted', data: { ...transactionData(2, 'debit', 'alice', 30, 1), posted_at: iso(10) } },
      { type: 'TransactionPosted', data: { ...transactionData(4, 'credit', 'bob', 12, 1), posted_at: iso(10) } },
      { type: 'EventClosed', data: { event_id: 1, closed_at: iso(10) } },
    ]);
    expectEvents(state.when({ type: 'CloseEvent', data: { event_id: 1 } }, { now: at(10) }), closing(1, [alice, bob], 10));
  });

  it('closing an event without transactions posts nothing', () => {
    expectEvents(given(...app1, eventOpened(1)).when({ type: 'CloseEvent', data: { event_id: 1 } }), [
      { type: 'EventClosed', data: { event_id: 1, closed_at: iso(0) } },
    ]);
  });

  it('a close answers with the event, not with the transactions it posted', () => {
    const state = given(...app1, eventOpened(1), pending(1, 1, 'credit', 'alice', 5), pending(2, 1, 'credit', 'bob', 6));
    const keyed = { command_id: 'app_1:close-1', request_hash: 'hash-close' };
    const closed = apply(state, state.when({ type: 'CloseEvent', data: { event_id: 1 } }, { ...keyed, now: at(10) }), keyed);
    expect(closed.map((event) => event.type)).toEqual(['TransactionPosted', 'TransactionPosted', 'EventClosed']);
    const close = { type: 'CloseEvent', data: { event_id: 1 } } as const;
    expect(replayed(state, close, state.when(close, { ...keyed, now: at(11) }))).toEqual({ event_id: 1, status: 'closed', closed_at: iso(10) });
  });
});

describe('decide: transactions', () => {
  it('a transaction inside an open event is pending, with the next transaction id', () => {
    expectEvents(given(...app1, granted(1, 'alice', 100), eventOpened(1)).when(debit('alice', '40', 1), { now: at(3) }), [
      { type: 'TransactionPending', data: transactionData(2, 'debit', 'alice', 40, 1, { seconds: 3 }) },
    ]);
  });

  it('a transaction without an event is posted at once', () => {
    expectEvents(given(...app1).when(credit(SNOWFLAKE, '25')), [
      posted(1, 'credit', SNOWFLAKE, 25),
    ]);
  });

  it('a pending debit reduces the available balance at once', () => {
    const state = given(...app1, granted(1, 'alice', 100), eventOpened(1), pending(2, 1, 'debit', 'alice', 70));
    expectRefusal(state.when(debit('alice', '31', 1)), 'INSUFFICIENT_FUNDS', {
      available: '30',
      requested: '31',
      currency: COINS,
    });
    // also outside the event, and for transfers
    expectRefusal(state.when(debit('alice', '31')), 'INSUFFICIENT_FUNDS', { available: '30', requested: '31', currency: COINS });
    expectRefusal(state.when(transfer('alice', 'bob', '31')), 'INSUFFICIENT_FUNDS');
    // exactly the rest is fine
    expect(eventsOf(state.when(debit('alice', '30', 1)))[0].type).toBe('TransactionPending');
  });

  it('a pending credit is not spendable until the event closes', () => {
    const history = [...app1, eventOpened(1), pending(1, 1, 'credit', 'alice', 50)];
    expectRefusal(given(...history).when(debit('alice', '50', 1)), 'INSUFFICIENT_FUNDS', {
      available: '0',
      requested: '50',
      currency: COINS,
    });
    expectRefusal(given(...history).when(debit('alice', '1')), 'INSUFFICIENT_FUNDS');
    expectRefusal(given(...history).when(transfer('alice', 'bob', '1')), 'INSUFFICIENT_FUNDS');

    expectEvents(given(...history, closing(1, [history[history.length - 1]], 5)).when(debit('alice', '50')), [
      posted(2, 'debit', 'alice', 50),
    ]);
  });

  it('an expired credit never becomes spendable', () => {
    const credited = pending(1, 1, 'credit', 'alice', 50);
    const state = given(...app1, eventOpened(1), credited, expiring(1, [credited]));
    expectRefusal(state.when(debit('alice', '1')), 'INSUFFICIENT_FUNDS', { available: '0', requested: '1', currency: COINS });
  });

  it('an overdraft is refused and leaves nothing behind', () => {
    const state = given(...app1, granted(1, 'alice', 10));
    const before = JSON.stringify([...state.balances].map(([k, b]) => [k, `${b.posted}/${b.pendingDebit}/${b.pendingCredit}`]));
    const decision = state.when(debit('alice', '11'));
    expectRefusal(decision, 'INSUFFICIENT_FUNDS', { available: '10', requested: '11', currency: COINS });
    // decide is pure: no balance was created or touched, no id consumed
    expect(JSON.stringify([...state.balances].map(([k, b]) => [k, `${b.posted}/${b.pendingDebit}/${b.pendingCredit}`]))).toBe(before);
    expect(state.balances.has(`${houseAccount('app_1')}|${COINS}`)).toBe(false);
    expect(state.nextTransactionId).toBe(2);
  });

  it('funds are per currency', () => {
    const state = given(...app1, granted(1, 'alice', 100, { currency: 'gems' }));
    expectRefusal(state.when(debit('alice', '1')), 'INSUFFICIENT_FUNDS', { available: '0', requested: '1', currency: COINS });
    expect(state.when(debit('alice', '100', null, 'gems')).kind).toBe('events');
  });

  it("the house account may go negative: an app credits users without funds of its own", () => {
    const state = given(...app1);
    apply(state, state.when(credit('alice', '1000000000000000000')));
    apply(state, state.when(credit('bob', '5')));
    expect(balanceOf(state, houseAccount('app_1'), COINS).posted).toBe(-1_000_000_000_000_000_005n);
    expect(balanceOf(state, userAccount('alice'), COINS).posted).toBe(10n ** 18n);
  });

  it('a debit goes to the calling app’s house account', () => {
    const [event] = eventsOf(given(...app1, ...app2, granted(1, 'alice', 9)).when(debit('alice', '9'), { app_id: 'app_2' }));
    expect(event.data).toMatchObject({ debit_account: 'user:alice', credit_account: 'house:app_2', app_id: 'app_2' });
  });

  describe('validation', () => {
    const malformed = (command: unknown) => command as LedgerCommand;
    const state = given(...app1, granted(1, 'alice', 10n ** 18n), eventOpened(1));
    it.each([
      ['amount 0', debit('alice', '0')],
      ['a negative amount', debit('alice', '-5')],
      ['a fractional amount', debit('alice', '1.5')],
      ['an amount above 10^18', debit('alice', '1000000000000000001')],
      ['an amount of 20 digits', credit('alice', '10000000000000000000')],
      ['an amount with a leading zero', credit('alice', '05')],
      ['an amount that is not a number', credit('alice', 'ten')],
      ['an empty amount', credit('alice', '')],
      ['an upper-case currency', credit('alice', '5', null, 'COINS')],
      ['an empty currency', credit('alice', '5', null, '')],
      ['a currency with a dash', credit('alice', '5', null, 'gold-bars')],
      ['a user id with a space', credit('bad user', '5')],
      ['an empty user id', credit('', '5')],
      ['a 65-character user id', credit('u'.repeat(65), '5')],
      ['a transfer to an invalid user', transfer('alice', 'not/valid', '5')],
      ['a transfer from an invalid user', transfer('not valid', 'alice', '5')],
      ['a grant to an invalid user', grant('x|y', '5')],
      ['a pending transaction with a bad amount', credit('alice', '0', 1)],
      ['a description over 500 characters', { ...credit('alice', '5'), data: { ...credit('alice', '5').data, description: 'd'.repeat(501) } }],
      ['a transaction type other than credit or debit', malformed({ type: 'PostTransaction', data: { ...credit('alice', '5').data, type: 'transfer' } })],
      // Commands are {type, data}: the envelope is attacked input too (JSON over NATS).
      ['a command without data (its fields flat)', malformed({ ...credit('alice', '5').data, type: 'PostTransaction' })],
      ['a command whose data is null', malformed({ type: 'PostTransaction', data: null })],
      ['a command whose data is an array', malformed({ type: 'PostTransaction', data: [credit('alice', '5').data] })],
      ['a command whose data is a string', malformed({ type: 'PostTransaction', data: 'alice' })],
    ])('refuses %s with VALIDATION_FAILED', (_name, command) => {
      const context = command.type === 'Grant' ? ADMIN : {};
      expectRefusal(state.when(command, context), 'VALIDATION_FAILED');
    });

    it('accepts the limits: 10^18, a 64-character id, a snowflake id', () => {
      expect(state.when(credit('alice', '1000000000000000000')).kind).toBe('events');
      expect(state.when(credit('u'.repeat(64), '1')).kind).toBe('events');
      expect(state.when(transfer('alice', SNOWFLAKE, '1000000000000000000')).kind).toBe('events');
    });

    it('keeps a huge amount exact', () => {
      const [event] = eventsOf(state.when(debit('alice', '999999999999999999')));
      expect(event.data).toMatchObject({ amount: '999999999999999999' });
    });
  });
});

describe('decide: transfers', () => {
  it('posts at once and moves the money between the two wallets', () => {
    const state = given(...app1, granted(1, 'alice', 100));
    const decision = state.when(transfer('alice', SNOWFLAKE, '40'));
    expectEvents(decision, [transferred(2, 'alice', SNOWFLAKE, 40)]);
    apply(state, decision);
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual({ posted: 60n, pendingDebit: 0n, pendingCredit: 0n });
    expect(balanceOf(state, userAccount(SNOWFLAKE), COINS)).toEqual({ posted: 40n, pendingDebit: 0n, pendingCredit: 0n });
  });

  it('refuses a transfer to oneself', () => {
    expectRefusal(given(...app1, granted(1, 'alice', 100)).when(transfer('alice', 'alice', '1')), 'VALIDATION_FAILED');
  });

  it('refuses an overdraft with the available amount', () => {
    expectRefusal(given(...app1, granted(1, 'alice', 100)).when(transfer('alice', 'bob', '101')), 'INSUFFICIENT_FUNDS', {
      available: '100',
      requested: '101',
      currency: COINS,
    });
  });

  it('is a finance command: the admin cannot transfer', () => {
    expectRefusal(given(...app1, granted(1, 'alice', 100)).when(transfer('alice', 'bob', '1'), ADMIN), 'FORBIDDEN');
  });
});

describe('decide: grants and admin commands', () => {
  it('a grant from the admin is posted from the treasury', () => {
    expectEvents(given().when(grant('alice', '500', 'gems'), ADMIN), [granted(1, 'alice', 500, { currency: 'gems' })]);
  });

  it('the treasury may go negative', () => {
    const state = given();
    apply(state, state.when(grant('alice', '7'), ADMIN));
    expect(balanceOf(state, TREASURY, COINS).posted).toBe(-7n);
  });

  it('an app may not grant, register apps or manage keys', () => {
    const state = given(...app1, apiKeyIssued('app_1', 'k1'));
    expectRefusal(state.when(grant('alice', '5')), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'RegisterApp', data: { name: 'x', key_id: 'k9', key_hash: 'h' } }), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'IssueApiKey', data: { app_id: 'app_1', key_id: 'k9', key_hash: 'h' } }), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'RevokeApiKey', data: { app_id: 'app_1', key_id: 'k1' } }), 'FORBIDDEN');
  });

  it.each<[string, LedgerCommand]>([
    ['OpenEvent', { type: 'OpenEvent', data: { description: null } }],
    ['PingEvent', { type: 'PingEvent', data: { event_id: 1 } }],
    ['CloseEvent', { type: 'CloseEvent', data: { event_id: 1 } }],
    ['PostTransaction', credit('alice', '5')],
    ['Transfer', transfer('alice', 'bob', '5')],
  ])('the admin (no app) may not send %s', (_name, command) => {
    expectRefusal(given(...app1, granted(1, 'alice', 10), eventOpened(1)).when(command, ADMIN), 'FORBIDDEN');
  });

  it('RegisterApp gives app_1, app_2, … with its first key', () => {
    const state = given();
    expectEvents(state.when({ type: 'RegisterApp', data: { name: '  Poker  ', key_id: 'k1', key_hash: 'h1' } }, ADMIN), [
      { type: 'AppRegistered', data: { app_id: 'app_1', name: 'Poker', registered_at: iso(0) } },
      { type: 'ApiKeyIssued', data: { app_id: 'app_1', key_id: 'k1', key_hash: 'h1', issued_at: iso(0) } },
    ]);
    apply(state, state.when({ type: 'RegisterApp', data: { name: 'Poker', key_id: 'k1', key_hash: 'h1' } }, ADMIN));
    const [second] = eventsOf(state.when({ type: 'RegisterApp', data: { name: 'Dice', key_id: 'k2', key_hash: 'h2' } }, ADMIN));
    expect(second.data).toMatchObject({ app_id: 'app_2', name: 'Dice' });
    apply(state, state.when({ type: 'RegisterApp', data: { name: 'Dice', key_id: 'k2', key_hash: 'h2' } }, ADMIN));
    expect([...state.apps.keys()]).toEqual(['app_1', 'app_2']);
  });

  it("RegisterApp names the apps of a realm's ledger after the realm (app_1_blue), the default realm's as always", () => {
    const state = given();
    const blue = { ...ADMIN, realm: 'blue' };
    expectEvents(state.when({ type: 'RegisterApp', data: { name: 'Poker', key_id: 'k1', key_hash: 'h1' } }, blue), [
      { type: 'AppRegistered', data: { app_id: 'app_1_blue', name: 'Poker', registered_at: iso(0) } },
      { type: 'ApiKeyIssued', data: { app_id: 'app_1_blue', key_id: 'k1', key_hash: 'h1', issued_at: iso(0) } },
    ]);
    apply(state, state.when({ type: 'RegisterApp', data: { name: 'Poker', key_id: 'k1', key_hash: 'h1' } }, blue));
    const [second] = eventsOf(state.when({ type: 'RegisterApp', data: { name: 'Dice', key_id: 'k2', key_hash: 'h2' } }, { ...ADMIN, realm: 'default' }));
    expect(second.data).toMatchObject({ app_id: 'app_2' });
    // The realm's app acts in its ledger like any app.
    apply(state, state.when({ type: 'Grant', data: { user_id: 'ann', amount: '5', currency: 'coins', description: null } }, blue));
    const credit = { type: 'PostTransaction' as const, data: { user_id: 'ann', event_id: null, type: 'credit' as const, amount: '1', currency: 'coins', description: null } };
    expect(state.when(credit, { app_id: 'app_1_blue', key_id: 'k1', realm: 'blue' }).kind).toBe('events');
  });

  it('RegisterApp refuses an empty or too long name and a key id in use', () => {
    const state = given(...app1, apiKeyIssued('app_1', 'k1'));
    expectRefusal(state.when({ type: 'RegisterApp', data: { name: '   ', key_id: 'k2', key_hash: 'h' } }, ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when({ type: 'RegisterApp', data: { name: 'n'.repeat(101), key_id: 'k2', key_hash: 'h' } }, ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when({ type: 'RegisterApp', data: { name: 'ok', key_id: 'k1', key_hash: 'h' } }, ADMIN), 'VALIDATION_FAILED');
  });

  it('IssueApiKey adds a key to an existing app', () => {
    expectEvents(given(...app1).when({ type: 'IssueApiKey', data: { app_id: 'app_1', key_id: 'k2', key_hash: 'h2' } }, ADMIN), [
      { type: 'ApiKeyIssued', data: { app_id: 'app_1', key_id: 'k2', key_hash: 'h2', issued_at: iso(0) } },
    ]);
  });

  it('IssueApiKey for an unknown app is refused NOT_FOUND', () => {
    expectRefusal(given(...app1).when({ type: 'IssueApiKey', data: { app_id: 'app_2', key_id: 'k2', key_hash: 'h' } }, ADMIN), 'NOT_FOUND');
  });

  it('IssueApiKey refuses a key id already used (by any app)', () => {
    const state = given(...app1, ...app2, apiKeyIssued('app_1', 'k1'));
    expectRefusal(state.when({ type: 'IssueApiKey', data: { app_id: 'app_2', key_id: 'k1', key_hash: 'h' } }, ADMIN), 'VALIDATION_FAILED');
  });

  it('RevokeApiKey revokes once; the second time is NOT_FOUND', () => {
    const history = [...app1, apiKeyIssued('app_1', 'k1')];
    const revoke: LedgerCommand = { type: 'RevokeApiKey', data: { app_id: 'app_1', key_id: 'k1' } };
    expectEvents(given(...history).when(revoke, { ...ADMIN, now: at(5) }), [apiKeyRevoked('app_1', 'k1', 5)]);
    expectRefusal(given(...history, apiKeyRevoked('app_1', 'k1', 5)).when(revoke, ADMIN), 'NOT_FOUND');
  });

  it("RevokeApiKey of an unknown key, or of another app's key, is NOT_FOUND", () => {
    const state = given(...app1, ...app2, apiKeyIssued('app_1', 'k1'));
    expectRefusal(state.when({ type: 'RevokeApiKey', data: { app_id: 'app_1', key_id: 'nope' } }, ADMIN), 'NOT_FOUND');
    expectRefusal(state.when({ type: 'RevokeApiKey', data: { app_id: 'app_2', key_id: 'k1' } }, ADMIN), 'NOT_FOUND');
  });
});

describe('decide: who may ask (the sender the NATS door proved, and the API key)', () => {
  it.each<[string, LedgerCommand]>([
    ['OpenEvent', { type: 'OpenEvent', data: { description: null } }],
    ['PingEvent', { type: 'PingEvent', data: { event_id: 1 } }],
    ['CloseEvent', { type: 'CloseEvent', data: { event_id: 1 } }],
    ['PostTransaction', credit('alice', '5')],
    ['Transfer', transfer('alice', 'bob', '5')],
  ])('%s needs a live key of the calling app', (_name, command) => {
    const state = given(...app1, ...app2, granted(1, 'alice', 10), eventOpened(1), apiKeyIssued('app_1', 'old', 1), apiKeyRevoked('app_1', 'old', 2));
    expect(state.when(command).kind).toBe('events');
    expectRefusal(state.when(command, { key_id: 'old' }), 'UNAUTHENTICATED');
    expectRefusal(state.when(command, { key_id: keyOf('app_2') }), 'UNAUTHENTICATED');
    expectRefusal(state.when(command, { key_id: 'never-issued' }), 'UNAUTHENTICATED');
    expectRefusal(state.when(command, { key_id: null }), 'UNAUTHENTICATED');
  });

  it('an app that does not exist has no key', () => {
    expectRefusal(given(...app1).when(credit('alice', '5'), { app_id: 'app_7', key_id: keyOf('app_1') }), 'UNAUTHENTICATED');
  });

  it('a key revoked since is refused even for a retry of a command it once made, and that refusal is not remembered', () => {
    const first = transactionData(1, 'credit', 'alice', 5, null);
    const retry = { command_id: 'app_1:k', request_hash: 'hash-a' };
    const state = given(...app1, withMetadata({ type: 'TransactionPosted', data: { ...first, posted_at: first.created_at } }, retry.command_id, retry.request_hash));
    expect(state.when(credit('alice', '5'), retry).kind).toBe('replay');
    apply(state, state.when({ type: 'RevokeApiKey', data: { app_id: 'app_1', key_id: keyOf('app_1') } }, ADMIN));
    const refused = state.when(credit('alice', '5'), retry);
    expectRefusal(refused, 'UNAUTHENTICATED');
    expect(refused.kind === 'refused' && recordedRefusal(refused.refusal, retry)).toBeNull();
  });

  it("the achievements service may not send the gateway's commands", () => {
    const state = given(...app1, granted(1, 'alice', 10), eventOpened(1));
    expectRefusal(state.when(grant('alice', '3000000'), { ...ADMIN, sender: 'achievements' }), 'FORBIDDEN');
    expectRefusal(state.when(credit('alice', '5'), { sender: 'achievements' }), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'RegisterApp', data: { name: 'x', key_id: 'k9', key_hash: 'h' } }, { ...ADMIN, sender: 'achievements' }), 'FORBIDDEN');
  });

  it('only the ledger itself sweeps and starts terms', () => {
    const state = given(...app1, eventOpened(1));
    expectRefusal(state.when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...ADMIN, now: at(61) }), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'StartTerm', data: { instance_id: 'x' } }, { ...ADMIN, sender: 'achievements' }), 'FORBIDDEN');
    expect(state.when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(61) }).kind).toBe('events');
  });
});

describe('decide: rewards', () => {
  const reward = (amount = '25', currency = COINS): LedgerCommand => ({ type: 'PayReward', data: { user_id: 'alice', amount, currency, description: 'achievement first-win' } });

  it("the achievements service pays a reward as a posted credit from the app's house account, with no API key", () => {
    expectEvents(given(...app1).when(reward(), REWARD('app_1')), [posted(1, 'credit', 'alice', 25, { description: 'achievement first-win' })]);
  });

  it('only the achievements service pays rewards', () => {
    expectRefusal(given(...app1).when(reward()), 'FORBIDDEN');
    expectRefusal(given(...app1).when(reward(), ADMIN), 'FORBIDDEN');
    expectRefusal(given(...app1).when(reward(), { ...REWARD('app_1'), app_id: null }), 'FORBIDDEN');
  });

  it('a reward of an app that does not exist, or with an invalid amount, is refused', () => {
    expectRefusal(given(...app1).when(reward(), REWARD('app_2')), 'NOT_FOUND');
    expectRefusal(given(...app1).when(reward('0'), REWARD('app_1')), 'VALIDATION_FAILED');
    expectRefusal(given(...app1).when(reward('5', 'Not A Currency'), REWARD('app_1')), 'VALIDATION_FAILED');
  });

  it('a reward paid again with the same command id is the first payment again', () => {
    const state = given(...app1);
    const once = { ...REWARD('app_1'), command_id: 'app_1:reward:u1', request_hash: 'h-u1' };
    apply(state, state.when(reward(), once), once);
    expect(state.when(reward(), once).kind).toBe('replay');
  });
});

describe('decide: idempotency', () => {
  const first = transactionData(1, 'credit', 'alice', 5, null);
  const history = [...app1, withMetadata({ type: 'TransactionPosted', data: { ...first, posted_at: first.created_at } }, 'cmd-1', 'hash-a')];

  it('the same command id with the same request hash replays the first reply', () => {
    const state = given(...history);
    const decision = state.when(credit('alice', '5'), { command_id: 'cmd-1', request_hash: 'hash-a', now: at(30) });
    expect(decision).toEqual({
      kind: 'replay',
      decided: {
        request_hash: 'hash-a',
        position: '',
        remembered_until_ms: at(0).getTime() + DEFAULT_IDEMPOTENCY_RETENTION_MS,
        reply: [{ type: 'TransactionPosted', data: { ...first, posted_at: first.created_at } }],
      },
    });
    expect(replayed(state, credit('alice', '5'), decision)).toEqual({
      transaction_id: 1,
      event_id: null,
      user_id: 'alice',
      type: 'credit',
      amount: '5',
      currency: COINS,
      status: 'posted',
      description: null,
      reverses_transaction_id: null,
      created_at: iso(0),
    });
  });

  it('replays even when deciding again would now be refused', () => {
    const state = given(
      ...app1,
      granted(1, 'alice', 5),
      withMetadata(posted(2, 'debit', 'alice', 5), 'cmd-1', 'hash-a'),
    );
    const decision = state.when(debit('alice', '5'), { command_id: 'cmd-1', request_hash: 'hash-a' });
    expect(decision.kind).toBe('replay');
  });

  it('a replay of a multi-event command answers from all its events', () => {
    const state = given(
      withMetadata(appRegistered('app_1', 'Poker'), 'reg-1', 'h'),
      withMetadata(apiKeyIssued('app_1', 'k1'), 'reg-1', 'h'),
    );
    const register = { type: 'RegisterApp', data: { name: 'Poker', key_id: 'k1', key_hash: 'hash-of-k1' } } as const;
    const decision = state.when(register, { ...ADMIN, command_id: 'reg-1', request_hash: 'h' });
    expect(replayed(state, register, decision)).toEqual({ app_id: 'app_1', name: 'Poker', key_id: 'k1', created_at: iso(0) });
  });

  it('the same command id with another request hash is refused IDEMPOTENCY_KEY_REUSED', () => {
    expectRefusal(
      given(...history).when(credit('alice', '6'), { command_id: 'cmd-1', request_hash: 'hash-b' }),
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('a command id sent again without a request hash is not a retry of a keyed command', () => {
    expectEvents(given(...history).when(credit('alice', '5'), { command_id: 'cmd-1', request_hash: null }), [
      { type: 'TransactionPosted', data: { ...first, transaction_id: 2, posted_at: first.created_at } },
    ]);
    // and events from before deadlines were stamped leave a command without a key unremembered
    const unstamped = given(...app1, withMetadata({ type: 'TransactionPosted', data: { ...first, posted_at: first.created_at } }, 'cmd-2', null));
    expect(unstamped.memory.unkeyed.has('cmd-2')).toBe(false);
    expect(unstamped.when(credit('alice', '5'), { command_id: 'cmd-2', request_hash: 'hash-a' }).kind).toBe('events');
  });

  it('another command id is decided afresh', () => {
    expect(given(...history).when(credit('alice', '5'), { command_id: 'cmd-9', request_hash: 'hash-a' }).kind).toBe('events');
  });
});

describe('decide: how long commands are remembered', () => {
  const RETENTION = DEFAULT_IDEMPOTENCY_RETENTION_MS;
  const decidedAt = at(0).getTime();
  const keyed = withMetadata(posted(1, 'credit', 'alice', 5), 'app_1:k', 'hash-a', {
    decided_at_epoch_ms: decidedAt,
    deadline_epoch_ms: decidedAt + 5000,
  });
  const retryAfter = (ms: number) => ({ command_id: 'app_1:k', request_hash: 'hash-a', now: new Date(decidedAt + ms) });

  it('a retry with the key one millisecond before the retention window ends gets the first answer', () => {
    expect(given(...app1, keyed).when(credit('alice', '5'), retryAfter(RETENTION - 1)).kind).toBe('replay');
  });

  it('a retry with the key when the window has ended is decided afresh (a second transaction)', () => {
    expectEvents(given(...app1, keyed).when(credit('alice', '5'), retryAfter(RETENTION)), [
      posted(2, 'credit', 'alice', 5, { seconds: RETENTION / 1000 }),
    ]);
  });

  it('once the window has ended, the same key with another body is a new command, not a reused key', () => {
    const state = given(...app1, keyed);
    expect(state.when(credit('alice', '6'), { ...retryAfter(RETENTION), request_hash: 'hash-b' }).kind).toBe('events');
  });

  it('the window is the ledger\'s setting (COFFER_IDEMPOTENCY_RETENTION_HOURS)', () => {
    const state = new GivenState(3_600_000);
    for (const event of [...app1, keyed]) evolve(state, event);
    expect(state.when(credit('alice', '5'), retryAfter(3_599_999)).kind).toBe('replay');
    expect(state.when(credit('alice', '5'), retryAfter(3_600_000)).kind).toBe('events');
  });

  describe('without an Idempotency-Key, until the deadline its sender gave', () => {
    const DEADLINE_MS = 5000;
    const unkeyed = withMetadata(posted(1, 'credit', 'alice', 5), 'cmd-uuid', null, {
      decided_at_epoch_ms: decidedAt,
      deadline_epoch_ms: decidedAt + DEADLINE_MS,
    });
    const resend = (ms: number) => ({ command_id: 'cmd-uuid', request_hash: null, now: new Date(decidedAt + ms) });

    it('the same command sent again before its deadline (a resend to a new writer, a captured copy) gets the first answer', () => {
      const state = given(...app1, unkeyed);
      const decision = state.when(credit('alice', '5'), resend(DEADLINE_MS - 1));
      expect(decision).toMatchObject({ kind: 'replay', decided: { request_hash: null } });
      expect(replayed(state, credit('alice', '5'), decision)).toMatchObject({ transaction_id: 1, amount: '5', status: 'posted' });
    });

    it('a refusal was never recorded for it: the same id is decided again (it cannot have had an effect)', () => {
      expect(given(...app1).when(credit('alice', '5'), resend(1)).kind).toBe('events');
    });

    it('at its deadline it is forgotten (the writer drops a command that arrives past its deadline anyway)', () => {
      expect(given(...app1, unkeyed).when(credit('alice', '5'), resend(DEADLINE_MS)).kind).toBe('events');
    });

    it('is remembered at most MAX_DEADLINE_AHEAD_MS, whatever deadline the command claimed', () => {
      const far = withMetadata(posted(1, 'credit', 'alice', 5), 'cmd-far', null, {
        decided_at_epoch_ms: decidedAt,
        deadline_epoch_ms: decidedAt + 10 * MAX_DEADLINE_AHEAD_MS,
      });
      const state = given(...app1, far);
      expect(state.memory.unkeyed.get('cmd-far')?.remembered_until_ms).toBe(decidedAt + MAX_DEADLINE_AHEAD_MS);
      const again = (ms: number) => ({ command_id: 'cmd-far', request_hash: null, now: new Date(decidedAt + ms) });
      expect(state.when(credit('alice', '5'), again(MAX_DEADLINE_AHEAD_MS - 1)).kind).toBe('replay');
      expect(state.when(credit('alice', '5'), again(MAX_DEADLINE_AHEAD_MS)).kind).toBe('events');
    });

    it('a keyed command is not answered from the memory of commands without a key, nor the other way', () => {
      const state = given(...app1, unkeyed);
      expect(state.when(credit('alice', '5'), { ...resend(1), request_hash: 'hash-a' }).kind).toBe('events');
      expect(given(...app1, keyed).when(credit('alice', '5'), { ...retryAfter(1), request_hash: null }).kind).toBe('events');
    });
  });
});

describe('decide: pending transactions per event', () => {
  /** Event 1 of app_1 with `count` pending credits to alice. */
  const eventWithPending = (count: number) => {
    const state = given(...app1, eventOpened(1));
    for (let id = 1; id <= count; id++) evolve(state, pending(id, 1, 'credit', 'alice', 1));
    return state;
  };

  it(`accepts the ${MAX_PENDING_TRANSACTIONS_PER_EVENT}th pending transaction of an event`, () => {
    const [event] = eventsOf(eventWithPending(MAX_PENDING_TRANSACTIONS_PER_EVENT - 1).when(credit('alice', '1', 1)));
    expect(event).toMatchObject({ type: 'TransactionPending', data: { transaction_id: MAX_PENDING_TRANSACTIONS_PER_EVENT } });
  });

  it('refuses one more with LIMIT_EXCEEDED, naming the limit', () => {
    const full = eventWithPending(MAX_PENDING_TRANSACTIONS_PER_EVENT);
    expectRefusal(full.when(credit('alice', '1', 1)), 'LIMIT_EXCEEDED', {
      limit: 'pending_transactions_per_event',
      maximum: MAX_PENDING_TRANSACTIONS_PER_EVENT,
    });
    expectRefusal(full.when(debit('alice', '1', 1)), 'LIMIT_EXCEEDED');
  });

  it('a full event still closes, posting all of them, and other events and direct posts are not limited by it', () => {
    const full = eventWithPending(MAX_PENDING_TRANSACTIONS_PER_EVENT);
    const closed = eventsOf(full.when({ type: 'CloseEvent', data: { event_id: 1 } }));
    expect(closed.filter((event) => event.type === 'TransactionPosted')).toHaveLength(MAX_PENDING_TRANSACTIONS_PER_EVENT);
    expect(closed[closed.length - 1].type).toBe('EventClosed');
    apply(full, { kind: 'events', events: closed });
    expect(full.pendingTransactions.size).toBe(0);
    expect(full.when(credit('alice', '1')).kind).toBe('events');
    evolve(full, eventOpened(2));
    expect(full.when(credit('alice', '1', 2)).kind).toBe('events');
  });
});

describe('decide: expiry (system commands)', () => {
  const history = [
    ...app1,
    granted(1, 'alice', 100),
    eventOpened(1),
    eventOpened(2),
    pending(2, 1, 'debit', 'alice', 40),
    pending(3, 2, 'credit', 'bob', 5),
    pending(4, 1, 'credit', 'bob', 9),
  ];

  it('ExpireEvent past the deadline voids exactly the pending transactions of that event, each with its TransactionVoided', () => {
    expectEvents(given(...history).when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(61) }), [
      { type: 'TransactionVoided', data: { ...transactionData(2, 'debit', 'alice', 40, 1), voided_at: iso(61), reason: 'expired' } },
      { type: 'TransactionVoided', data: { ...transactionData(4, 'credit', 'bob', 9, 1), voided_at: iso(61), reason: 'expired' } },
      { type: 'EventExpired', data: { event_id: 1, expired_at: iso(61) } },
    ]);
  });

  it('ExpireEvent at exactly the deadline expires the event', () => {
    const events = eventsOf(given(...history).when({ type: 'ExpireEvent', data: { event_id: 2 } }, { ...SYSTEM, now: at(60) }));
    expect(events.map((event) => event.type)).toEqual(['TransactionVoided', 'EventExpired']);
  });

  it('ExpireEvent is a no-op before the deadline', () => {
    expectEvents(given(...history).when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(59) }), []);
  });

  it('ExpireEvent is a no-op before a pinged deadline', () => {
    expectEvents(given(...history, pinged(1, 30)).when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(89) }), []);
  });

  it('ExpireEvent is a no-op on a closed, already expired or unknown event', () => {
    const closed = given(...history, closing(1, [history[5], history[7]], 10), expiring(2, [history[6]], 60));
    expectEvents(closed.when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: at(500) }), []);
    expectEvents(closed.when({ type: 'ExpireEvent', data: { event_id: 2 } }, { ...SYSTEM, now: at(500) }), []);
    expectEvents(closed.when({ type: 'ExpireEvent', data: { event_id: 99 } }, { ...SYSTEM, now: at(500) }), []);
  });

  it('dueEvents lists only open events past their deadline', () => {
    const state = given(
      ...app1,
      ...app2,
      eventOpened(1), // deadline 60
      eventOpened(2, 'app_2', 10), // deadline 70
      eventOpened(3, 'app_1', 0),
      eventClosed(3), // closed
      eventOpened(4, 'app_1', 0),
      eventExpired(4), // expired
      eventOpened(5, 'app_1', 0),
      pinged(5, 30), // deadline 90
    );
    expect(dueEvents(state, at(59))).toEqual([]);
    expect(dueEvents(state, at(60))).toEqual([1]);
    expect(dueEvents(state, at(75)).sort()).toEqual([1, 2]);
    expect(dueEvents(state, at(1000)).sort()).toEqual([1, 2, 5]);
  });

  it('StartTerm starts the next term', () => {
    expectEvents(given({ type: 'WriterTermStarted', data: { term: 3, instance_id: 'a', started_at: iso(-10) } }).when(
      { type: 'StartTerm', data: { instance_id: 'b' } },
      SYSTEM,
    ), [{ type: 'WriterTermStarted', data: { term: 4, instance_id: 'b', started_at: iso(0) } }]);
  });
});
