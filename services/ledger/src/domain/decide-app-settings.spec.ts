/** Per-app scopes, currencies and daily mint limits, decided by the ledger itself. */
import type { AppSettingsPatch, ChangeAppSettings, PayReward, ReverseTransaction } from '@coffer/contracts';
import {
  ADMIN,
  apply,
  appWithKey,
  COINS,
  credit,
  debit,
  eventOpened,
  eventsOf,
  expectRefusal,
  given,
  granted,
  REWARD,
  restarted,
  SYSTEM,
  transfer,
  type GivenState,
} from '../../test/given-when-then';
import type { DecideContext } from './decide';
import { COMMAND_SCOPES } from './app-scopes';
import { mintedToday } from './decide-app-settings';

const change = (patch: Omit<AppSettingsPatch, 'app_id'>, app_id = 'app_1'): ChangeAppSettings => ({ type: 'ChangeAppSettings', data: { app_id, ...patch } });
const reward = (user_id: string, amount: string): PayReward => ({ type: 'PayReward', data: { user_id, amount, currency: COINS, description: null } });
const reverse = (transaction_id: number, amount: string): ReverseTransaction => ({ type: 'ReverseTransaction', data: { transaction_id, amount, description: null } });
const on = (time: string): Partial<DecideContext> => ({ now: new Date(time) });

function withSettings(patch: Omit<AppSettingsPatch, 'app_id'>, ...history: Parameters<typeof given>): GivenState {
  const state = given(appWithKey(), ...history);
  apply(state, state.when(change(patch), ADMIN));
  return state;
}

/** Decides and applies at `time`; throws on a refusal. */
function done(state: GivenState, command: Parameters<GivenState['when']>[0], context: Partial<DecideContext>) {
  return apply(state, state.when(command, context));
}

describe('ChangeAppSettings (admin)', () => {
  it('a new app may do everything: every scope, every currency, no limit', () => {
    expect(given(appWithKey()).apps.get('app_1')?.settings).toEqual({ scopes: null, currencies: null, mint_limit_per_day: {} });
  });

  it('changes the fields it names, keeps the others, and null puts back a new app’s', () => {
    const state = withSettings({ scopes: ['finance:read'], currencies: ['coins'], mint_limit_per_day: { coins: '100' } });
    const decision = state.when(change({ currencies: null }), ADMIN);
    expect(eventsOf(decision)).toEqual([
      {
        type: 'AppSettingsChanged',
        data: { app_id: 'app_1', scopes: ['finance:read'], currencies: null, mint_limit_per_day: { coins: '100' }, changed_at: expect.any(String) },
      },
    ]);
    apply(state, decision);
    apply(state, state.when(change({ mint_limit_per_day: null, scopes: null }), ADMIN));
    expect(state.apps.get('app_1')?.settings).toEqual({ scopes: null, currencies: null, mint_limit_per_day: {} });
  });

  it('an unknown app is NOT_FOUND; an app may not change settings; malformed fields are refused', () => {
    const state = given(appWithKey());
    expectRefusal(state.when(change({ scopes: [] }, 'app_9'), ADMIN), 'NOT_FOUND');
    expectRefusal(state.when(change({ scopes: [] })), 'FORBIDDEN');
    expectRefusal(state.when(change({ scopes: ['mint' as never] }), ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when(change({ scopes: ['transfers', 'transfers'] }), ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when(change({ currencies: ['Coins'] }), ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when(change({ currencies: Array.from({ length: 33 }, (_, i) => `c${i}`) }), ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when(change({ mint_limit_per_day: { coins: '-1' } }), ADMIN), 'VALIDATION_FAILED');
    expectRefusal(state.when(change({ mint_limit_per_day: [] as never }), ADMIN), 'VALIDATION_FAILED');
  });

  it('a restart from a snapshot keeps every app’s settings and its mint of the day', () => {
    const state = withSettings({ scopes: ['finance:write'], mint_limit_per_day: { coins: '100' } });
    done(state, credit('alice', '40'), {});
    const back = restarted(state);
    expect(back.apps.get('app_1')).toEqual(state.apps.get('app_1'));
  });
});

describe('scopes', () => {
  it('every command type has its scope in one table', () => {
    expect(COMMAND_SCOPES).toMatchObject({ PostTransaction: 'finance:write', Transfer: 'transfers', PayReward: 'achievements', Grant: 'admin' });
  });

  it('an app without finance:write may not open events or post; without transfers may not transfer: 403', () => {
    const state = withSettings({ scopes: ['finance:read'] }, granted(1, 'alice', 100));
    expectRefusal(state.when({ type: 'OpenEvent', data: { description: null } }), 'FORBIDDEN', { scope: 'finance:write' });
    expectRefusal(state.when(credit('alice', '5')), 'FORBIDDEN', { scope: 'finance:write' });
    expectRefusal(state.when(transfer('alice', 'bob', '5')), 'FORBIDDEN', { scope: 'transfers' });
    apply(state, state.when(change({ scopes: ['transfers'] }), ADMIN));
    expect(eventsOf(state.when(transfer('alice', 'bob', '5')))).toHaveLength(1);
    expectRefusal(state.when(debit('alice', '5')), 'FORBIDDEN');
  });

  it('a scope taken away is refused even to a retry of a command decided before', () => {
    const state = given(appWithKey(), granted(1, 'alice', 100));
    const context = { command_id: 'app_1:k', request_hash: 'h' };
    apply(state, state.when(credit('alice', '5'), context), context);
    apply(state, state.when(change({ scopes: [] }), ADMIN));
    expectRefusal(state.when(credit('alice', '5'), context), 'FORBIDDEN');
  });

  it('a reward of an app without the achievements scope is refused', () => {
    const state = withSettings({ scopes: ['finance:write'] });
    expectRefusal(state.when(reward('alice', '5'), REWARD()), 'FORBIDDEN', { scope: 'achievements' });
  });

  it('the ledger’s own commands need no scope', () => {
    const state = withSettings({ scopes: [] }, eventOpened(1));
    expect(state.when({ type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: new Date(Date.now() + 3600_000 * 24 * 3650) }).kind).toBe('events');
  });
});

describe('currencies', () => {
  it('a command in a currency the app may not use is refused (403), in one it may passes', () => {
    const state = withSettings({ currencies: ['gems'] }, granted(1, 'alice', 100), granted(2, 'alice', 100, { currency: 'gems' }));
    expectRefusal(state.when(credit('alice', '5')), 'FORBIDDEN', { currency: COINS });
    expectRefusal(state.when(transfer('alice', 'bob', '5')), 'FORBIDDEN');
    expectRefusal(state.when(reward('alice', '5'), REWARD()), 'FORBIDDEN');
    expect(eventsOf(state.when(credit('alice', '5', null, 'gems')))).toHaveLength(1);
  });
});

describe('daily mint limits (net of debits, per UTC day, per currency)', () => {
  const morning = on('2025-03-01T08:00:00.000Z');

  it('credits up to the limit pass; beyond it 422 LIMIT_EXCEEDED with the limit, what is used and what was asked', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '100' } });
    done(state, credit('alice', '60'), morning);
    expectRefusal(state.when(credit('alice', '41'), morning), 'LIMIT_EXCEEDED', { limit: 'mint_limit_per_day', maximum: '100', used: '60', requested: '41', currency: COINS });
    done(state, credit('alice', '40'), morning);
    expect(mintedToday(state, 'app_1', COINS, '2025-03-01T09:00:00.000Z')).toBe(100n);
  });

  it('the app’s debits count against its credits (net)', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '100' } }, granted(1, 'bob', 500));
    done(state, credit('alice', '100'), morning);
    done(state, debit('bob', '70'), morning);
    done(state, credit('alice', '70'), morning);
    expectRefusal(state.when(credit('alice', '1'), morning), 'LIMIT_EXCEEDED');
  });

  it('a pending credit counts when it is made; a void gives it back on that day', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '100' } }, eventOpened(1, 'app_1', 0));
    const now = { now: new Date('2025-03-01T12:00:10.000Z') };
    done(state, credit('alice', '80', 1), now);
    expectRefusal(state.when(credit('alice', '30'), now), 'LIMIT_EXCEEDED', { limit: 'mint_limit_per_day', maximum: '100', used: '80', requested: '30', currency: COINS });
    // The event expires (no ping for 60 s): its pending credit is voided and no longer counts.
    done(state, { type: 'ExpireEvent', data: { event_id: 1 } }, { ...SYSTEM, now: new Date('2025-03-01T12:02:00.000Z') });
    expect(mintedToday(state, 'app_1', COINS, '2025-03-01T12:02:00.000Z')).toBe(0n);
    done(state, credit('alice', '100'), { now: new Date('2025-03-01T12:03:00.000Z') });
  });

  it('each UTC day starts afresh: full at 23:59:59.999, 100 again at 00:00', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '100' } });
    done(state, credit('alice', '100'), on('2025-03-01T00:00:00.000Z'));
    expectRefusal(state.when(credit('alice', '1'), on('2025-03-01T23:59:59.999Z')), 'LIMIT_EXCEEDED');
    done(state, credit('alice', '100'), on('2025-03-02T00:00:00.000Z'));
    expect(state.apps.get('app_1')?.minted.size).toBe(1); // only the latest day is kept
  });

  it('only the limited currency is limited, and an app’s limit is its own', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '10' } }, ...appWithKey('app_2'));
    done(state, credit('alice', '10'), morning);
    done(state, credit('alice', '1000', null, 'gems'), morning);
    done(state, credit('alice', '1000'), { ...morning, app_id: 'app_2' });
    expectRefusal(state.when(credit('alice', '1'), morning), 'LIMIT_EXCEEDED');
  });

  it('reversing a debit moves money from the house to a user: it mints, within the limit of the original’s app, the admin’s reversal too', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '50' } }, granted(1, 'bob', 500));
    const decided = state.when(debit('bob', '70'), morning);
    const debitId = (eventsOf(decided)[0].data as { transaction_id: number }).transaction_id;
    apply(state, decided, morning); // net -70
    done(state, credit('alice', '100'), morning); // net 30
    expectRefusal(state.when(reverse(debitId, '30'), { ...ADMIN, ...morning }), 'LIMIT_EXCEEDED', { limit: 'mint_limit_per_day', maximum: '50', used: '30', requested: '30', currency: COINS });
    done(state, reverse(debitId, '20'), morning);
    expect(mintedToday(state, 'app_1', COINS, '2025-03-01T09:00:00.000Z')).toBe(50n);
  });

  it('a reward is minted by its app: it counts and is refused beyond the limit', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '100' } });
    done(state, reward('alice', '90'), { ...REWARD(), ...morning });
    expectRefusal(state.when(reward('bob', '20'), { ...REWARD(), ...morning }), 'LIMIT_EXCEEDED', { limit: 'mint_limit_per_day', maximum: '100', used: '90', requested: '20', currency: COINS });
    expectRefusal(state.when(credit('bob', '20'), morning), 'LIMIT_EXCEEDED');
  });

  it('grants and allowance claims come from the treasury: never counted against an app', () => {
    const state = withSettings({ mint_limit_per_day: { coins: '1' } });
    done(state, { type: 'SetAllowance', data: { currency: COINS, amount: '50', period: 'daily' } }, ADMIN);
    done(state, { type: 'ClaimAllowance', data: { user_id: 'alice', currency: COINS } }, morning);
    expect(mintedToday(state, 'app_1', COINS, '2025-03-01T08:00:00.000Z')).toBe(0n);
  });
});
