/** Allowances: set by the admin, claimed once per user per UTC period, from the treasury. */
import type { ClaimAllowance, LedgerEvent, SetAllowance } from '@coffer/contracts';
import { ADMIN, apply, appWithKey, COINS, eventsOf, expectRefusal, given, replayed, restarted, type GivenState } from '../../test/given-when-then';
import type { DecideContext } from './decide';
import { nextPeriodStartMs, periodStartMs } from './allowance-periods';
import { balanceOf } from './state';

const setAllowance = (amount: string, period: 'daily' | 'weekly', currency = COINS): SetAllowance => ({ type: 'SetAllowance', data: { currency, amount, period } });
const claim = (user_id: string, currency = COINS): ClaimAllowance => ({ type: 'ClaimAllowance', data: { user_id, currency } });
const on = (time: string): Partial<DecideContext> => ({ now: new Date(time) });

/** A ledger with app_1 and the allowance set (by the admin, through decide). */
function withAllowance(amount: string, period: 'daily' | 'weekly'): GivenState {
  const state = given(appWithKey());
  apply(state, state.when(setAllowance(amount, period), ADMIN));
  return state;
}

/** Claims and applies; answers the events. */
function claimed(state: GivenState, user: string, time: string): LedgerEvent[] {
  return apply(state, state.when(claim(user), on(time)));
}

describe('allowance periods (UTC)', () => {
  it.each([
    ['daily', '2025-03-01T23:59:59.999Z', '2025-03-01T00:00:00.000Z', '2025-03-02T00:00:00.000Z'],
    ['daily', '2025-03-02T00:00:00.000Z', '2025-03-02T00:00:00.000Z', '2025-03-03T00:00:00.000Z'],
    // 2025-03-02 is a Sunday: its ISO week began on Monday 2025-02-24.
    ['weekly', '2025-03-02T23:59:59.999Z', '2025-02-24T00:00:00.000Z', '2025-03-03T00:00:00.000Z'],
    ['weekly', '2025-03-03T00:00:00.000Z', '2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
    ['weekly', '2025-03-05T12:00:00.000Z', '2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
  ] as const)('%s at %s starts at %s, the next at %s', (period, at, start, next) => {
    expect(new Date(periodStartMs(period, Date.parse(at))).toISOString()).toBe(start);
    expect(new Date(nextPeriodStartMs(period, Date.parse(at))).toISOString()).toBe(next);
  });
});

describe('SetAllowance and RemoveAllowance (admin)', () => {
  it('sets, answers and replaces the allowance of a currency', () => {
    const state = given(appWithKey());
    const set = state.when(setAllowance('100', 'daily'), ADMIN);
    expect(eventsOf(set)).toEqual([{ type: 'AllowanceSet', data: { currency: COINS, amount: '100', period: 'daily', set_at: expect.any(String) } }]);
    apply(state, set);
    apply(state, state.when(setAllowance('250', 'weekly'), ADMIN));
    expect(state.allowances.get(COINS)).toMatchObject({ amount: '250', period: 'weekly' });
  });

  it('only the admin sets or removes one; an app is refused', () => {
    const state = given(appWithKey());
    expectRefusal(state.when(setAllowance('100', 'daily')), 'FORBIDDEN');
    expectRefusal(state.when({ type: 'RemoveAllowance', data: { currency: COINS } }), 'FORBIDDEN');
  });

  it('removing one that is not set is NOT_FOUND; once removed it cannot be claimed', () => {
    const state = withAllowance('100', 'daily');
    expectRefusal(state.when({ type: 'RemoveAllowance', data: { currency: 'gems' } }, ADMIN), 'NOT_FOUND');
    apply(state, state.when({ type: 'RemoveAllowance', data: { currency: COINS } }, ADMIN));
    expectRefusal(state.when(claim('alice'), on('2025-03-01T10:00:00Z')), 'NOT_FOUND');
  });

  it('refuses malformed fields', () => {
    const state = given(appWithKey());
    expectRefusal(state.when({ type: 'SetAllowance', data: { currency: COINS, amount: '0', period: 'daily' } }, ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when({ type: 'SetAllowance', data: { currency: COINS, amount: '5', period: 'hourly' } } as never, ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when({ type: 'SetAllowance', data: { currency: 'Bad!', amount: '5', period: 'daily' } }, ADMIN), 'VALIDATION_FAILED');
  });
});

describe('ClaimAllowance', () => {
  it('posts a grant from the treasury, linked by AllowanceClaimed', () => {
    const state = withAllowance('100', 'daily');
    const events = claimed(state, 'alice', '2025-03-01T10:00:00.000Z');
    expect(events).toEqual([
      {
        type: 'AllowanceClaimed',
        data: {
          currency: COINS,
          user_id: 'alice',
          app_id: 'app_1',
          period: 'daily',
          period_start: '2025-03-01T00:00:00.000Z',
          amount: '100',
          transaction_id: 1,
          claimed_at: '2025-03-01T10:00:00.000Z',
        },
      },
      {
        type: 'TransactionPosted',
        data: expect.objectContaining({ transaction_id: 1, type: 'grant', app_id: 'app_1', debit_account: 'treasury', credit_account: 'user:alice', amount: '100' }),
      },
    ]);
    expect(balanceOf(state, 'user:alice', COINS).posted).toBe(100n);
    expect(balanceOf(state, 'treasury', COINS).posted).toBe(-100n);
  });

  it('with no allowance set for the currency: NOT_FOUND', () => {
    expectRefusal(given(appWithKey()).when(claim('alice'), on('2025-03-01T10:00:00Z')), 'NOT_FOUND');
  });

  it('daily: once until 23:59:59.999 UTC (409 with next_claim_at), again from 00:00 UTC', () => {
    const state = withAllowance('100', 'daily');
    claimed(state, 'alice', '2025-03-01T00:00:00.000Z');
    expectRefusal(state.when(claim('alice'), on('2025-03-01T23:59:59.999Z')), 'CONFLICT', {
      next_claim_at: '2025-03-02T00:00:00.000Z',
      period: 'daily',
      currency: COINS,
    });
    claimed(state, 'bob', '2025-03-01T23:59:59.999Z'); // another user is not held back
    expect(claimed(state, 'alice', '2025-03-02T00:00:00.000Z')).toHaveLength(2);
    expect(balanceOf(state, 'user:alice', COINS).posted).toBe(200n);
  });

  it('weekly: once from Monday 00:00 UTC through Sunday 23:59:59.999, again on Monday', () => {
    const state = withAllowance('700', 'weekly');
    claimed(state, 'alice', '2025-02-24T00:00:00.000Z'); // Monday
    expectRefusal(state.when(claim('alice'), on('2025-03-02T23:59:59.999Z')), 'CONFLICT', {
      next_claim_at: '2025-03-03T00:00:00.000Z',
      period: 'weekly',
      currency: COINS,
    });
    expect(claimed(state, 'alice', '2025-03-03T00:00:00.000Z')).toHaveLength(2);
  });

  it('keeps only the current period’s claimants: a new period drops the last one’s', () => {
    const state = withAllowance('1', 'daily');
    for (const user of ['a', 'b', 'c']) claimed(state, user, '2025-03-01T08:00:00.000Z');
    expect(state.allowanceClaims.get('coins|daily')?.users.size).toBe(3);
    claimed(state, 'd', '2025-03-02T08:00:00.000Z');
    expect(state.allowanceClaims.get('coins|daily')).toEqual({ period_start: '2025-03-02T00:00:00.000Z', users: new Set(['d']) });
  });

  it('switching the period back and forth never lets a user claim twice in one week', () => {
    const state = withAllowance('1', 'weekly');
    claimed(state, 'alice', '2025-03-03T08:00:00.000Z'); // Monday
    apply(state, state.when(setAllowance('1', 'daily'), ADMIN));
    claimed(state, 'bob', '2025-03-04T08:00:00.000Z');
    apply(state, state.when(setAllowance('1', 'weekly'), ADMIN));
    expectRefusal(state.when(claim('alice'), on('2025-03-05T08:00:00.000Z')), 'CONFLICT');
  });

  it('a restart from a snapshot remembers who claimed in the period', () => {
    const state = withAllowance('100', 'daily');
    claimed(state, 'alice', '2025-03-01T08:00:00.000Z');
    const back = restarted(state);
    expect(back.allowanceClaims).toEqual(state.allowanceClaims);
    expect(back.allowances).toEqual(state.allowances);
  });

  it('a claim sent again with its Idempotency-Key answers the first transaction and pays nothing more', () => {
    const state = withAllowance('100', 'daily');
    const context = { ...on('2025-03-01T08:00:00.000Z'), command_id: 'app_1:claim-1', request_hash: 'h1' };
    apply(state, state.when(claim('alice'), context), context);
    const again = state.when(claim('alice'), { ...context, now: new Date('2025-03-01T09:00:00.000Z') });
    expect(replayed(state, claim('alice'), again)).toMatchObject({ transaction_id: 1, amount: '100', status: 'posted' });
    expect(balanceOf(state, 'user:alice', COINS).posted).toBe(100n);
  });

  it('only an app claims (the admin is refused); the currency must be one the app may use', () => {
    const state = withAllowance('100', 'daily');
    expectRefusal(state.when(claim('alice'), ADMIN), 'FORBIDDEN');
    apply(state, state.when({ type: 'ChangeAppSettings', data: { app_id: 'app_1', currencies: ['gems'] } }, ADMIN));
    expectRefusal(state.when(claim('alice'), on('2025-03-01T10:00:00Z')), 'FORBIDDEN');
  });
});
