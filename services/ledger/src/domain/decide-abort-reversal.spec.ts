import { houseAccount, userAccount } from './accounts';
import { balanceOf, LedgerState } from './state';
import {
  abort,
  aborting,
  ADMIN,
  appWithKey,
  apply,
  closing,
  COINS,
  eventOpened,
  eventsOf,
  expectEvents,
  expectRefusal,
  expiring,
  given,
  granted,
  iso,
  pending,
  posted,
  postedAtClose,
  restarted,
  reverse,
  reversed,
  SYSTEM,
  transferred,
  voidedAtAbort,
  when,
  withMetadata,
  replayed,
} from '../../test/given-when-then';
import { evolve } from './evolve';

const app1 = appWithKey('app_1');
const app2 = appWithKey('app_2');

describe('decide: abort a finance event', () => {
  const debited = pending(2, 1, 'debit', 'alice', 30);
  const credited = pending(3, 1, 'credit', 'bob', 10);
  const history = [...app1, ...app2, granted(1, 'alice', 100), eventOpened(1), debited, credited];

  it('voids every pending transaction now (reason aborted, in the order they were made), then aborts the event', () => {
    expectEvents(given(...history).when(abort(1), { now: new Date(iso(5)) }), aborting(1, [debited, credited], 5));
  });

  it('gives back what the event held, exactly as an expiry does, and settles the event as aborted', () => {
    const state = given(...history);
    apply(state, state.when(abort(1), { now: new Date(iso(5)) }));
    const expired = given(...history, expiring(1, [debited, credited]));
    expect(balanceOf(state, userAccount('alice'), COINS)).toEqual(balanceOf(expired, userAccount('alice'), COINS));
    expect(balanceOf(state, userAccount('bob'), COINS)).toEqual({ posted: 0n, pendingDebit: 0n, pendingCredit: 0n });
    expect(state.openEvents.has(1)).toBe(false);
    expect(state.settledEvents.get(1)).toEqual({ app_id: 'app_1', status: 'aborted' });
    expect(state.pendingTransactions.size).toBe(0);
  });

  it('answers {event_id, status: aborted, aborted_at}, and the same again on a replay', () => {
    const state = given(...history);
    const context = { now: new Date(iso(5)), command_id: 'abort-1', request_hash: 'h' };
    apply(state, state.when(abort(1), context), context);
    expect(replayed(state, abort(1), state.when(abort(1), context))).toEqual({ event_id: 1, status: 'aborted', aborted_at: iso(5) });
  });

  it('an event with nothing pending aborts too', () => {
    expectEvents(given(...app1, eventOpened(1)).when(abort(1)), aborting(1, []));
  });

  it('refuses an event that is not open: closed, expired, aborted, or past its deadline (EVENT_NOT_OPEN)', () => {
    expectRefusal(given(...history, closing(1, [debited, credited])).when(abort(1)), 'EVENT_NOT_OPEN', { status: 'closed' });
    expectRefusal(given(...history, expiring(1, [debited, credited])).when(abort(1)), 'EVENT_NOT_OPEN', { status: 'expired' });
    expectRefusal(given(...history, aborting(1, [debited, credited])).when(abort(1)), 'EVENT_NOT_OPEN', { status: 'aborted' });
    expectRefusal(given(...history).when(abort(1), { now: new Date(iso(60)) }), 'EVENT_NOT_OPEN', { status: 'expired' });
  });

  it("another app's event, or none, does not exist (NOT_FOUND)", () => {
    expectRefusal(given(...history).when(abort(1), { app_id: 'app_2' }), 'NOT_FOUND');
    expectRefusal(given(...history).when(abort(9)), 'NOT_FOUND');
  });

  it('needs an app (the admin and other services may not)', () => {
    expectRefusal(given(...history).when(abort(1), ADMIN), 'FORBIDDEN');
    expectRefusal(given(...history).when(abort(1), SYSTEM), 'FORBIDDEN');
  });

  it('the aborted event survives a restart from a snapshot', () => {
    const state = restarted(given(...history, aborting(1, [debited, credited])));
    expect(state.settledEvents.get(1)).toEqual({ app_id: 'app_1', status: 'aborted' });
    expectRefusal(when(state, abort(1)), 'EVENT_NOT_OPEN', { status: 'aborted' });
  });
});

describe('decide: reverse a posted transaction', () => {
  const credit15 = posted(2, 'credit', 'alice', 15);
  const history = [...app1, ...app2, granted(1, 'alice', 100), credit15];

  it('moves all that is left back by default: a posted reversal from the credit account to the debit account', () => {
    expectEvents(given(...history).when(reverse(2)), [reversed(3, credit15, 15)]);
  });

  it('moves a part back, with a description, and answers the reversal linked to its original', () => {
    const state = given(...history);
    const context = { command_id: 'rev-1', request_hash: 'h' };
    const decision = state.when(reverse(2, '5', 'refund'), context);
    expectEvents(decision, [reversed(3, credit15, 5, { description: 'refund' })]);
    apply(state, decision, context);
    expect(replayed(state, reverse(2, '5', 'refund'), state.when(reverse(2, '5', 'refund'), context))).toEqual({
      transaction_id: 3,
      event_id: null,
      user_id: 'alice',
      type: 'reversal',
      amount: '5',
      currency: COINS,
      status: 'posted',
      description: 'refund',
      reverses_transaction_id: 2,
      created_at: iso(0),
    });
    expect(balanceOf(state, userAccount('alice'), COINS).posted).toBe(110n);
    expect(balanceOf(state, houseAccount('app_1'), COINS).posted).toBe(-10n);
  });

  it('never more than the original in total (LIMIT_EXCEEDED with what is left)', () => {
    const state = given(...history, reversed(3, credit15, 10));
    expectRefusal(state.when(reverse(2, '6')), 'LIMIT_EXCEEDED', { limit: 'reversible_amount', reversible: '5', requested: '6', currency: COINS });
    expectEvents(state.when(reverse(2)), [reversed(4, credit15, 5)]);
    const whole = given(...history, reversed(3, credit15, 10), reversed(4, credit15, 5));
    // Asked for "all that is left" (no amount): the refusal says it is all reversed, and names no request of 0.
    const all = whole.when(reverse(2));
    expectRefusal(all, 'LIMIT_EXCEEDED', { limit: 'reversible_amount', reversible: '0', currency: COINS });
    expect(all).toMatchObject({ kind: 'refused', refusal: { message: 'transaction 2 is reversed in full already' } });
    expectRefusal(whole.when(reverse(2, '1')), 'LIMIT_EXCEEDED', { limit: 'reversible_amount', reversible: '0', requested: '1', currency: COINS });
  });

  it('never takes a wallet below zero (INSUFFICIENT_FUNDS), counting what it holds pending', () => {
    const spent = given(...history, eventOpened(1), pending(3, 1, 'debit', 'alice', 110));
    expectRefusal(spent.when(reverse(2)), 'INSUFFICIENT_FUNDS', { available: '5', requested: '15', currency: COINS });
    expectEvents(spent.when(reverse(2, '5')), [reversed(4, credit15, 5)]);
  });

  it("a debit's reversal gives back to the user; a transfer's goes from the receiver back to the sender", () => {
    const debit = posted(2, 'debit', 'alice', 40);
    expectEvents(given(...app1, granted(1, 'alice', 100), debit).when(reverse(2)), [reversed(3, debit, 40)]);
    const transfer = transferred(2, 'alice', 'bob', 40);
    const [event] = eventsOf(given(...app1, granted(1, 'alice', 100), transfer).when(reverse(2, '15')));
    expect(event).toEqual(reversed(3, transfer, 15));
    expect(event.data).toMatchObject({ user_id: 'bob', debit_account: userAccount('bob'), credit_account: userAccount('alice') });
  });

  it('a transaction posted when its event closed is reversible', () => {
    const inEvent = pending(2, 1, 'credit', 'alice', 20);
    const state = given(...app1, eventOpened(1), inEvent, closing(1, [inEvent]));
    expectEvents(state.when(reverse(2, '20')), [reversed(3, postedAtClose(inEvent), 20)]);
  });

  it('a pending, voided or reversal transaction cannot be reversed (CONFLICT)', () => {
    const held = pending(3, 1, 'credit', 'bob', 10);
    const open = given(...history, eventOpened(1), held);
    expectRefusal(open.when(reverse(3)), 'CONFLICT', { status: 'pending' });
    const aborted = given(...history, eventOpened(1), held, aborting(1, [held]));
    expectRefusal(aborted.when(reverse(3)), 'CONFLICT', { status: 'voided' });
    const expired = given(...history, eventOpened(1), held, expiring(1, [held]));
    expectRefusal(expired.when(reverse(3)), 'CONFLICT', { status: 'voided' });
    expectRefusal(given(...history, reversed(3, credit15, 5)).when(reverse(3)), 'CONFLICT', { type: 'reversal' });
  });

  it("another app's transaction, or none, does not exist for the caller (NOT_FOUND), in any state", () => {
    const held = pending(3, 1, 'credit', 'bob', 10);
    expectRefusal(given(...history).when(reverse(2), { app_id: 'app_2' }), 'NOT_FOUND');
    expectRefusal(given(...history).when(reverse(1)), 'NOT_FOUND'); // a grant is the admin's
    expectRefusal(given(...history).when(reverse(99)), 'NOT_FOUND');
    expectRefusal(given(...history, eventOpened(1), held).when(reverse(3), { app_id: 'app_2' }), 'NOT_FOUND');
    expectRefusal(given(...history, eventOpened(1), held, aborting(1, [held])).when(reverse(3), { app_id: 'app_2' }), 'NOT_FOUND');
    expectRefusal(given(...history, reversed(3, credit15, 5)).when(reverse(3), { app_id: 'app_2' }), 'NOT_FOUND');
  });

  it("the admin reverses any app's transaction (the reversal stays the app's) and grants", () => {
    expectEvents(given(...history).when(reverse(2, '5'), ADMIN), [reversed(3, credit15, 5)]);
    expectEvents(given(...history).when(reverse(1, '100'), ADMIN), [reversed(3, granted(1, 'alice', 100), 100)]);
  });

  it('other services may not reverse', () => {
    expectRefusal(given(...history).when(reverse(2), SYSTEM), 'FORBIDDEN');
    expectRefusal(given(...history).when(reverse(2), { sender: 'achievements' }), 'FORBIDDEN');
  });

  it('refuses malformed fields (VALIDATION_FAILED)', () => {
    for (const data of [
      { transaction_id: 0, amount: null, description: null },
      { transaction_id: 2, amount: '0', description: null },
      { transaction_id: 2, amount: 5, description: null },
      { transaction_id: 2, amount: null, description: 'x'.repeat(10_000) },
      { transaction_id: '2', amount: null, description: null },
    ]) {
      expectRefusal(given(...history).when({ type: 'ReverseTransaction', data } as never), 'VALIDATION_FAILED');
    }
  });

  it('what is left to reverse survives a restart from a snapshot, and a fresh fold', () => {
    const events = [...history, reversed(3, credit15, 10)];
    const live = given(...events);
    const folded = new LedgerState();
    for (const event of events) evolve(folded, withMetadata(event, null, null));
    for (const state of [restarted(live), folded]) {
      expectRefusal(when(state, reverse(2, '6')), 'LIMIT_EXCEEDED', { limit: 'reversible_amount', reversible: '5', requested: '6', currency: COINS });
      expectRefusal(when(state, reverse(3)), 'CONFLICT', { type: 'reversal' });
    }
    const held = pending(5, 1, 'credit', 'bob', 10);
    const voided = restarted(given(...events, eventOpened(1), held, aborting(1, [held])));
    expectRefusal(when(voided, reverse(5)), 'CONFLICT', { status: 'voided' });
    expect(voidedAtAbort(held).type).toBe('TransactionVoided');
  });
});
