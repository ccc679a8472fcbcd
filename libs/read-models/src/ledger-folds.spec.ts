import type { ReplayedEvent } from '@coffer/event-store';
import { foldApiKeys } from './api-keys';
import { foldBalances } from './balances';
import { foldDailyTotals } from './daily-totals';
import { foldFinanceEvents } from './finance-events';
import { foldTransactions, PendingTransactions, settle } from './transactions';

let position = 0n;
const event = (type: string, data: object): ReplayedEvent => ({ type, data, globalPosition: ++position, occurredAt: new Date(0) });
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

const tx = (transaction_id: number, event_id: number | null, amount = '10') => ({
  transaction_id,
  event_id,
  app_id: 'app_1',
  type: 'credit',
  user_id: 'alice',
  debit_account: 'house:app_1',
  credit_account: 'user:alice',
  amount,
  currency: 'coins',
  description: null,
  created_at: iso(1),
});
const pending = (id: number, eventId: number, amount?: string) => event('TransactionPending', tx(id, eventId, amount));
const postedAtOnce = (id: number, amount?: string) => event('TransactionPosted', { ...tx(id, null, amount), posted_at: iso(1) });
const postedAtClose = (id: number, eventId: number, second: number) => event('TransactionPosted', { ...tx(id, eventId), posted_at: iso(second) });
const closed = (eventId: number, second: number) => event('EventClosed', { event_id: eventId, closed_at: iso(second) });
const expired = (eventId: number, second: number) => event('EventExpired', { event_id: eventId, expired_at: iso(second) });

describe('leaving pending: settle', () => {
  it('a v2 close settles each transaction its TransactionPosted names, and nothing more', () => {
    const held = new PendingTransactions();
    const settlements = settle([pending(1, 7), pending(2, 7), postedAtClose(1, 7, 5), postedAtClose(2, 7, 5), closed(7, 5)], held);
    expect(settlements.map(({ row, status, at }) => [row.transaction_id, status, at])).toEqual([
      [1, 'posted', iso(5)],
      [2, 'posted', iso(5)],
    ]);
    expect(held.ofEvent(7)).toEqual([]);
  });

  it('a v1 close or expiry (no per-transaction events) settles everything still pending of its event', () => {
    const held = new PendingTransactions();
    expect(settle([pending(1, 7), pending(2, 8)], held)).toEqual([]);
    const settlements = settle([expired(8, 9), closed(7, 9)], held);
    expect(settlements.map(({ row, status }) => [row.transaction_id, status])).toEqual([
      [2, 'voided'],
      [1, 'posted'],
    ]);
  });

  it('refuses to settle a transaction that is not pending (the event is at fault: quarantined)', () => {
    const held = new PendingTransactions();
    expect(() => settle([postedAtClose(3, 7, 5)], held)).toThrow('read model misses pending transaction 3');
    expect(() => settle([pending(4, 7), postedAtClose(4, 7, 5), postedAtClose(4, 7, 6)], held)).toThrow('pending transaction 4');
  });
});

describe('the ledger folds of a batch', () => {
  it('transactions: a transaction created and settled in one batch is inserted settled; an earlier one is updated', () => {
    const events = [pending(1, 7), postedAtClose(1, 7, 5), event('TransactionVoided', { ...tx(9, 7), voided_at: iso(6), reason: 'expired' })];
    const held = new PendingTransactions();
    held.add({ ...tx(9, 7) });
    const batch = foldTransactions(events, { settlements: settle(events, held), realm: 'default' });
    expect([...batch.created.values()].map((row) => [row.transaction_id, row.status, row.settled_at])).toEqual([[1, 'posted', iso(5)]]);
    expect(batch.settled).toEqual([{ transaction_id: 9, status: 'voided', settled_at: iso(6) }]);
  });

  it('balances: pending money is held, posted money moves, voided money returns; the books stay at zero', () => {
    const events = [postedAtOnce(1, '100'), pending(2, 7, '30'), pending(3, 8, '5'), closed(7, 4), expired(8, 4)];
    const deltas = foldBalances(events, { settlements: settle(events, new PendingTransactions()), realm: 'default' });
    expect(deltas.rows().map(({ account, posted, pending_debit, pending_credit }) => [account, posted, pending_debit, pending_credit])).toEqual([
      ['house:app_1', -130n, 0n, 0n],
      ['user:alice', 130n, 0n, 0n],
    ]);
  });

  it('daily totals: a transaction counts on the day it posts, a voided one never', () => {
    const events = [postedAtOnce(1, '100'), pending(2, 7, '30'), pending(3, 8, '5'), closed(7, 4), expired(8, 4)];
    const totals = foldDailyTotals(events, { settlements: settle(events, new PendingTransactions()), realm: 'default' });
    expect([...totals.values()]).toEqual([{ day: '2026-01-01', app_id: 'app_1', currency: 'coins', minted: 130n, absorbed: 0n, transferred: 0n }]);
  });

  it('finance events: changes merge into an event opened in the batch, else into one update', () => {
    const opened = event('EventOpened', { event_id: 7, app_id: 'app_1', description: null, opened_at: iso(1), expires_at: iso(61) });
    const batch = foldFinanceEvents([opened, event('Pinged', { event_id: 7, pinged_at: iso(2), expires_at: iso(62) }), closed(7, 3), expired(6, 4)]);
    expect(batch.opened.get(7)).toMatchObject({ status: 'closed', last_ping_at: iso(2), expires_at: iso(62), closed_at: iso(3) });
    expect([...batch.changed.values()]).toEqual([{ event_id: 6, status: 'expired', expired_at: iso(4) }]);
  });

  it('api keys: a revoke merges into a key issued in the same batch, else it updates an earlier one', () => {
    const batch = foldApiKeys([
      event('ApiKeyIssued', { app_id: 'app_1', key_id: 'k1', key_hash: 'h', issued_at: iso(1) }),
      event('ApiKeyRevoked', { app_id: 'app_1', key_id: 'k1', revoked_at: iso(2) }),
      event('ApiKeyRevoked', { app_id: 'app_1', key_id: 'k0', revoked_at: iso(3) }),
    ]);
    expect([...batch.issued.values()]).toEqual([{ key_id: 'k1', app_id: 'app_1', created_at: iso(1), revoked_at: iso(2) }]);
    expect(batch.revoked).toEqual([{ key_id: 'k0', revoked_at: iso(3) }]);
  });

  it('withdrawals and deposits: held outside any finance event, moved when accepted, returned when declined, counted as absorbed and minted', () => {
    const withdrawal = (id: number) => ({ ...tx(id, null, '40'), type: 'withdrawal', debit_account: 'user:alice', credit_account: 'external' });
    const deposit = (id: number) => ({ ...tx(id, null, '25'), type: 'deposit', debit_account: 'external', credit_account: 'user:alice' });
    const events = [
      postedAtOnce(1, '100'),
      event('TransactionPending', withdrawal(2)),
      event('TransactionPending', withdrawal(3)),
      event('TransactionPending', deposit(4)),
      event('TransactionPosted', { ...withdrawal(2), posted_at: iso(3) }),
      event('TransactionVoided', { ...withdrawal(3), voided_at: iso(3), reason: 'declined' }),
      event('TransactionPosted', { ...deposit(4), posted_at: iso(3) }),
    ];
    const settlements = settle(events, new PendingTransactions());
    expect(settlements.map(({ row, status }) => [row.transaction_id, status])).toEqual([[2, 'posted'], [3, 'voided'], [4, 'posted']]);
    const deltas = foldBalances(events, { settlements, realm: 'default' });
    expect(deltas.rows().map(({ account, posted, pending_debit, pending_credit }) => [account, posted, pending_debit, pending_credit])).toEqual([
      ['house:app_1', -100n, 0n, 0n],
      ['user:alice', 85n, 0n, 0n],
      ['external', 15n, 0n, 0n],
    ]);
    const batch = foldTransactions(events, { settlements, realm: 'default' });
    expect([...batch.created.values()].map((row) => [row.transaction_id, row.type, row.status])).toEqual([
      [1, 'credit', 'posted'],
      [2, 'withdrawal', 'posted'],
      [3, 'withdrawal', 'voided'],
      [4, 'deposit', 'posted'],
    ]);
    const totals = foldDailyTotals(events, { settlements, realm: 'default' });
    expect([...totals.values()]).toEqual([{ day: '2026-01-01', app_id: 'app_1', currency: 'coins', minted: 125n, absorbed: 40n, transferred: 0n }]);
  });
});
