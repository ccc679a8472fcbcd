import {
  EXTERNAL,
  MAX_EXTERNAL_ACCOUNTS_PER_USER,
  MAX_WAITING_DEPOSITS_PER_USER,
  MAX_WAITING_WITHDRAWALS_PER_USER,
  type LedgerCommand,
} from '@coffer/contracts';
import { available, userAccount } from './accounts';
import { balanceOf } from './state';
import { snapshot } from './snapshot';
import { ADMIN, appWithKey, apply, COINS, eventsOf, expectEvents, expectRefusal, given, granted, iso, keyOf, restarted, SNOWFLAKE, type GivenState } from '../../test/given-when-then';

const app1 = appWithKey('app_1');
const HASH = 'a'.repeat(64);
const hashOf = (n: number) => n.toString(16).padStart(64, '0');

const link = (user_id = 'alice', reference_hash = HASH, label = 'savings'): LedgerCommand => ({
  type: 'LinkExternalAccount',
  data: { user_id, kind: 'bank', label, reference_hash, reference_last4: '3000' },
});
const unlink = (external_account_id: number, user_id = 'alice'): LedgerCommand => ({ type: 'UnlinkExternalAccount', data: { user_id, external_account_id } });
const withdraw = (amount: string, external_account_id = 1, user_id = 'alice'): LedgerCommand => ({
  type: 'RequestWithdrawal',
  data: { user_id, amount, currency: COINS, external_account_id },
});
/** Each deposit reports a payment of its own unless told which. */
let payments = 0;
const deposit = (amount: string, external_account_id = 1, user_id = 'alice', reference_hash = hashOf(1000 + ++payments)): LedgerCommand => ({
  type: 'RequestDeposit',
  data: { user_id, amount, currency: COINS, external_account_id, reference_hash, reference_last4: '7731' },
});
const acceptWithdrawal = (withdrawal_id: number): LedgerCommand => ({ type: 'AcceptWithdrawal', data: { withdrawal_id } });
const declineWithdrawal = (withdrawal_id: number, reason = 'account closed'): LedgerCommand => ({ type: 'DeclineWithdrawal', data: { withdrawal_id, reason } });
const acceptDeposit = (deposit_id: number): LedgerCommand => ({ type: 'AcceptDeposit', data: { deposit_id } });
const declineDeposit = (deposit_id: number, reason = 'no such payment'): LedgerCommand => ({ type: 'DeclineDeposit', data: { deposit_id, reason } });

/** Runs commands in order against the state (each must be decided into events), as the writer would. */
function run(state: GivenState, ...commands: Array<[LedgerCommand, Partial<Parameters<GivenState['when']>[1]>?]>): GivenState {
  for (const [command, context] of commands) apply(state, state.when(command, context), context);
  return state;
}

const wallet = (state: GivenState, user = 'alice') => balanceOf(state, userAccount(user), COINS);
const outside = (state: GivenState) => balanceOf(state, EXTERNAL, COINS);

describe('decide: external accounts', () => {
  it('links an account with the next id, keeping the hash and the last 4 (label trimmed)', () => {
    expectEvents(given(...app1).when(link('alice', HASH, '  savings ')), [
      {
        type: 'ExternalAccountLinked',
        data: { external_account_id: 1, user_id: 'alice', app_id: 'app_1', kind: 'bank', label: 'savings', reference_hash: HASH, reference_last4: '3000', linked_at: iso(0) },
      },
    ]);
  });

  it('refuses the same reference linked twice by one user (CONFLICT naming the first), not by another user', () => {
    const state = run(given(...app1), [link()]);
    expectRefusal(state.when(link()), 'CONFLICT', { external_account_id: 1 });
    expect(eventsOf(state.when(link('bob')))).toHaveLength(1);
  });

  it(`links at most ${MAX_EXTERNAL_ACCOUNTS_PER_USER} per user: the next is LIMIT_EXCEEDED, and one unlinked makes room`, () => {
    const state = given(...app1);
    for (let n = 1; n <= MAX_EXTERNAL_ACCOUNTS_PER_USER; n++) run(state, [link('alice', hashOf(n))]);
    expectRefusal(state.when(link('alice', hashOf(99))), 'LIMIT_EXCEEDED', { limit: 'external_accounts_per_user', maximum: MAX_EXTERNAL_ACCOUNTS_PER_USER });
    run(state, [unlink(3)]);
    expect(eventsOf(state.when(link('alice', hashOf(99))))).toHaveLength(1);
  });

  it("unlinks the user's own account only: another user's or an unknown one is NOT_FOUND", () => {
    const state = run(given(...app1), [link()]);
    expectRefusal(state.when(unlink(1, 'bob')), 'NOT_FOUND');
    expectRefusal(state.when(unlink(2)), 'NOT_FOUND');
    expectEvents(state.when(unlink(1)), [{ type: 'ExternalAccountUnlinked', data: { external_account_id: 1, user_id: 'alice', unlinked_at: iso(0) } }]);
  });

  it('refuses to unlink an account while a withdrawal of it waits (CONFLICT), and unlinks it once decided', () => {
    const state = run(given(...app1, granted(1, 'alice', 100)), [link()], [withdraw('40')]);
    expectRefusal(state.when(unlink(1)), 'CONFLICT');
    run(state, [declineWithdrawal(1), ADMIN]);
    expect(eventsOf(state.when(unlink(1)))).toHaveLength(1);
  });
});

describe('decide: withdrawals', () => {
  const linked = () => run(given(...app1, granted(1, SNOWFLAKE, 100)), [link(SNOWFLAKE)]);

  it('holds the amount at once: a pending withdrawal transaction to external, then WithdrawalRequested', () => {
    const state = linked();
    const data = { withdrawal_id: 1, transaction_id: 2, user_id: SNOWFLAKE, app_id: 'app_1', external_account_id: 1, amount: '40', currency: COINS, requested_at: iso(0) };
    expectEvents(state.when(withdraw('40', 1, SNOWFLAKE)), [
      {
        type: 'TransactionPending',
        data: {
          transaction_id: 2,
          event_id: null,
          app_id: 'app_1',
          type: 'withdrawal',
          user_id: SNOWFLAKE,
          debit_account: userAccount(SNOWFLAKE),
          credit_account: EXTERNAL,
          amount: '40',
          currency: COINS,
          description: null,
          reverses_transaction_id: null,
          created_at: iso(0),
        },
      },
      { type: 'WithdrawalRequested', data: { ...data, status: 'waiting_for_verification' } },
    ]);
    run(state, [withdraw('40', 1, SNOWFLAKE)]);
    expect(available(wallet(state, SNOWFLAKE))).toBe(60n);
    expect(wallet(state, SNOWFLAKE).posted).toBe(100n);
  });

  it('refuses more than the available balance (INSUFFICIENT_FUNDS), counting what earlier withdrawals hold', () => {
    const state = run(linked(), [withdraw('70', 1, SNOWFLAKE)]);
    expectRefusal(state.when(withdraw('31', 1, SNOWFLAKE)), 'INSUFFICIENT_FUNDS', { available: '30', requested: '31', currency: COINS });
    expect(eventsOf(state.when(withdraw('30', 1, SNOWFLAKE)))).toHaveLength(2);
  });

  it("refuses an account that is not the user's (NOT_FOUND)", () => {
    const state = run(linked(), [link('bob', hashOf(2))]);
    expectRefusal(state.when(withdraw('10', 2, SNOWFLAKE)), 'NOT_FOUND');
    expectRefusal(state.when(withdraw('10', 9, SNOWFLAKE)), 'NOT_FOUND');
  });

  it(`lets ${MAX_WAITING_WITHDRAWALS_PER_USER} wait per user: the next is LIMIT_EXCEEDED until one is decided`, () => {
    const state = linked();
    for (let n = 0; n < MAX_WAITING_WITHDRAWALS_PER_USER; n++) run(state, [withdraw('1', 1, SNOWFLAKE)]);
    expectRefusal(state.when(withdraw('1', 1, SNOWFLAKE)), 'LIMIT_EXCEEDED', { limit: 'waiting_withdrawals_per_user', maximum: MAX_WAITING_WITHDRAWALS_PER_USER });
    run(state, [acceptWithdrawal(2), ADMIN]);
    expect(eventsOf(state.when(withdraw('1', 1, SNOWFLAKE)))).toHaveLength(2);
  });

  it('accept posts the held amount to external (the books still sum to zero), then WithdrawalAccepted', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)]);
    const [postedEvent, accepted] = eventsOf(state.when(acceptWithdrawal(1), ADMIN));
    expect(postedEvent).toMatchObject({ type: 'TransactionPosted', data: { transaction_id: 2, type: 'withdrawal', posted_at: iso(0) } });
    expect(accepted).toEqual({
      type: 'WithdrawalAccepted',
      data: { withdrawal_id: 1, transaction_id: 2, user_id: SNOWFLAKE, app_id: 'app_1', external_account_id: 1, amount: '40', currency: COINS, requested_at: iso(0), status: 'accepted', accepted_at: iso(0) },
    });
    run(state, [acceptWithdrawal(1), ADMIN]);
    expect(wallet(state, SNOWFLAKE)).toEqual({ posted: 60n, pendingDebit: 0n, pendingCredit: 0n });
    expect(outside(state)).toEqual({ posted: 40n, pendingDebit: 0n, pendingCredit: 0n });
  });

  it('decline voids it with reason declined: the funds are back', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)]);
    const [voided, declined] = eventsOf(state.when(declineWithdrawal(1, ' account closed '), ADMIN));
    expect(voided).toMatchObject({ type: 'TransactionVoided', data: { transaction_id: 2, reason: 'declined', voided_at: iso(0) } });
    expect(declined).toMatchObject({ type: 'WithdrawalDeclined', data: { withdrawal_id: 1, status: 'declined', reason: 'account closed', declined_at: iso(0) } });
    run(state, [declineWithdrawal(1), ADMIN]);
    expect(wallet(state, SNOWFLAKE)).toEqual({ posted: 100n, pendingDebit: 0n, pendingCredit: 0n });
    expect(outside(state).posted).toBe(0n);
  });

  it('decides each once: accepting or declining a decided one is CONFLICT, an unknown one NOT_FOUND', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)], [acceptWithdrawal(1), ADMIN]);
    expectRefusal(state.when(acceptWithdrawal(1), ADMIN), 'CONFLICT');
    expectRefusal(state.when(declineWithdrawal(1), ADMIN), 'CONFLICT');
    expectRefusal(state.when(acceptWithdrawal(2), ADMIN), 'NOT_FOUND');
  });

  it('lets only the admin decide: an app is FORBIDDEN', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)]);
    expectRefusal(state.when(acceptWithdrawal(1)), 'FORBIDDEN');
    expectRefusal(state.when(declineWithdrawal(1)), 'FORBIDDEN');
  });

  it('refuses a blank decline reason', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)]);
    expectRefusal(state.when(declineWithdrawal(1, '   '), ADMIN), 'VALIDATION_FAILED');
  });

  it('keeps a waiting withdrawal across a snapshot restart, and accepts it after', () => {
    const state = run(linked(), [withdraw('40', 1, SNOWFLAKE)]);
    const back = restarted(state) as GivenState;
    expect(snapshot(back)).toEqual(snapshot(state));
    Object.setPrototypeOf(back, Object.getPrototypeOf(state));
    expect(eventsOf(back.when(acceptWithdrawal(1), ADMIN)).map((event) => event.type)).toEqual(['TransactionPosted', 'WithdrawalAccepted']);
  });
});

describe('decide: deposits', () => {
  const linked = () => run(given(...app1), [link()]);

  it('credits pending from external (not spendable) until accepted', () => {
    const state = linked();
    const [held, requested] = eventsOf(state.when(deposit('25')));
    expect(held).toMatchObject({ type: 'TransactionPending', data: { type: 'deposit', debit_account: EXTERNAL, credit_account: userAccount('alice'), event_id: null } });
    expect(requested).toMatchObject({ type: 'DepositRequested', data: { deposit_id: 1, reference_last4: '7731', status: 'waiting_for_verification' } });
    run(state, [deposit('25')]);
    expect(wallet(state)).toEqual({ posted: 0n, pendingDebit: 0n, pendingCredit: 25n });
    expect(available(wallet(state))).toBe(0n);
    expectRefusal(state.when(withdraw('1')), 'INSUFFICIENT_FUNDS');
    run(state, [acceptDeposit(1), ADMIN]);
    expect(available(wallet(state))).toBe(25n);
    expect(outside(state).posted).toBe(-25n);
  });

  it('decline voids it: nothing credited; deciding again is CONFLICT', () => {
    const state = run(linked(), [deposit('25')], [declineDeposit(1), ADMIN]);
    expect(wallet(state)).toEqual({ posted: 0n, pendingDebit: 0n, pendingCredit: 0n });
    expectRefusal(state.when(acceptDeposit(1), ADMIN), 'CONFLICT');
  });

  it(`lets ${MAX_WAITING_DEPOSITS_PER_USER} wait per user`, () => {
    const state = linked();
    for (let n = 0; n < MAX_WAITING_DEPOSITS_PER_USER; n++) run(state, [deposit('1')]);
    expectRefusal(state.when(deposit('1')), 'LIMIT_EXCEEDED', { limit: 'waiting_deposits_per_user', maximum: MAX_WAITING_DEPOSITS_PER_USER });
  });

  it('credits a payment once: its reference again is CONFLICT naming the first deposit, while it waits and once accepted, whoever reports it', () => {
    const payment = hashOf(7);
    const state = linked();
    const decided = eventsOf(state.when(deposit('25', 1, 'alice', payment)));
    expect(decided.map((event) => event.type)).toEqual(['TransactionPending', 'DepositRequested', 'DepositReferenceRecorded']);
    expect(decided[2].data).toEqual({ deposit_id: 1, reference_hash: payment });
    run(state, [deposit('25', 1, 'alice', payment)], [link('bob', hashOf(8))]);
    const again = state.when(deposit('25', 1, 'alice', payment));
    expectRefusal(again, 'CONFLICT', { deposit_id: 1 });
    expect(again).toMatchObject({ refusal: { message: 'this payment was reported already, as deposit 1: a payment is credited once' } });
    expectRefusal(state.when(deposit('25', 2, 'bob', payment)), 'CONFLICT', { deposit_id: 1 });
    run(state, [acceptDeposit(1), ADMIN]);
    expectRefusal(state.when(deposit('25', 1, 'alice', payment)), 'CONFLICT', { deposit_id: 1 });

    const back = restarted(state) as GivenState;
    expect(snapshot(back)).toEqual(snapshot(state));
    Object.setPrototypeOf(back, Object.getPrototypeOf(state));
    expectRefusal(back.when(deposit('25', 1, 'alice', payment)), 'CONFLICT', { deposit_id: 1 });
  });

  it('a declined deposit frees its reference (the payment was not found, and may yet arrive), also after a snapshot restart', () => {
    const payment = hashOf(9);
    const state = run(linked(), [deposit('5', 1, 'alice', payment)], [declineDeposit(1), ADMIN]);
    const back = restarted(state) as GivenState;
    expect(snapshot(back)).toEqual(snapshot(state));
    Object.setPrototypeOf(back, Object.getPrototypeOf(state));
    for (const which of [state, back]) {
      run(which, [deposit('5', 1, 'alice', payment)]);
      expectRefusal(which.when(deposit('5', 1, 'alice', payment)), 'CONFLICT', { deposit_id: 2 });
    }
  });

  it('refuses a deposit without a well-formed reference hash (the gateway hashes the reference: anything else is forged)', () => {
    for (const reference_hash of [undefined, '', 'A'.repeat(64), 'a'.repeat(63), 7]) {
      const command = { type: 'RequestDeposit', data: { user_id: 'alice', amount: '5', currency: COINS, external_account_id: 1, reference_hash, reference_last4: '7731' } };
      expectRefusal(linked().when(command as LedgerCommand), 'VALIDATION_FAILED');
    }
  });
});

describe('decide: reversing a withdrawal or a deposit (issue 13: reversals next to withdrawals)', () => {
  const reverse = (transaction_id: number): LedgerCommand => ({ type: 'ReverseTransaction', data: { transaction_id, amount: null, description: null } });
  // Transaction 1 is the grant; the withdrawal holds transaction 2, the deposit transaction 3.
  const requested = () => run(given(...app1, ...appWithKey('app_2'), granted(1, 'alice', 100)), [link()], [withdraw('40')], [deposit('25')]);

  it('refuses one still waiting: it is pending (CONFLICT, details.status), for its app and for the admin', () => {
    const state = requested();
    for (const context of [undefined, ADMIN]) {
      expectRefusal(state.when(reverse(2), context), 'CONFLICT', { status: 'pending' });
      expectRefusal(state.when(reverse(3), context), 'CONFLICT', { status: 'pending' });
    }
    expectRefusal(state.when(reverse(2), { app_id: 'app_2', key_id: keyOf('app_2') }), 'NOT_FOUND'); // another app's
  });

  it('refuses an accepted one: its money crossed `external` (CONFLICT, details.type), also after a snapshot restart', () => {
    const state = run(requested(), [acceptWithdrawal(1), ADMIN], [acceptDeposit(1), ADMIN]);
    expectRefusal(state.when(reverse(2), ADMIN), 'CONFLICT', { type: 'withdrawal' });
    expectRefusal(state.when(reverse(3)), 'CONFLICT', { type: 'deposit' });
    const back = restarted(state) as GivenState;
    expect(snapshot(back)).toEqual(snapshot(state));
    Object.setPrototypeOf(back, Object.getPrototypeOf(state));
    expectRefusal(back.when(reverse(2), ADMIN), 'CONFLICT', { type: 'withdrawal' });
    expectRefusal(back.when(reverse(3), ADMIN), 'CONFLICT', { type: 'deposit' });
    // The grant before them is reversed as any posted transaction (alice has 100 - 40 + 25 = 85).
    expectRefusal(state.when(reverse(1), ADMIN), 'INSUFFICIENT_FUNDS');
    expect(eventsOf(state.when({ type: 'ReverseTransaction', data: { transaction_id: 1, amount: '85', description: null } }, ADMIN))).toHaveLength(1);
  });

  it('refuses a declined one: it was voided, it never moved money (CONFLICT, details.status)', () => {
    const state = run(requested(), [declineWithdrawal(1), ADMIN], [declineDeposit(1), ADMIN]);
    expectRefusal(state.when(reverse(2)), 'CONFLICT', { status: 'voided' });
    expectRefusal(state.when(reverse(3), ADMIN), 'CONFLICT', { status: 'voided' });
  });
});
