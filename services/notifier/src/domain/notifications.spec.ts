import { deliveryBody, notificationOf, type DomainEvent } from './notifications';

const at = new Date('2026-11-30T12:00:00.000Z');
const event = (type: string, data: Record<string, unknown>, app_id: string | null = null): DomainEvent => ({
  id: `id-${type}`,
  type,
  occurredAt: at,
  data,
  metadata: { app_id },
});
const owners = new Map([[7, 'app-a']]);
const ownerOf = (id: number) => owners.get(id) ?? null;

describe('notifications from domain events', () => {
  it('names the app that did it: the transaction’s, the unlock’s, the expired event’s opener', () => {
    expect(notificationOf(event('TransactionPosted', { app_id: 'app-a', amount: '5' }), ownerOf)).toMatchObject({ type: 'transaction.posted', app_id: 'app-a' });
    expect(notificationOf(event('TransactionVoided', { app_id: 'app-b' }), ownerOf)).toMatchObject({ type: 'transaction.voided', app_id: 'app-b' });
    expect(notificationOf(event('AchievementUnlocked', { app_id: 'app-c', key: 'k' }), ownerOf)).toMatchObject({ type: 'achievement.unlocked', app_id: 'app-c' });
    expect(notificationOf(event('EventExpired', { event_id: 7 }), ownerOf)).toMatchObject({ type: 'event.expired', app_id: 'app-a' });
  });

  it('notifies nobody of the admin’s grants, of an event whose owner is unknown, or of other event types', () => {
    expect(notificationOf(event('TransactionPosted', { app_id: null, type: 'grant' }), ownerOf)).toBeNull();
    expect(notificationOf(event('EventExpired', { event_id: 8 }), ownerOf)).toBeNull();
    expect(notificationOf(event('EventOpened', { event_id: 7, app_id: 'app-a' }), ownerOf)).toBeNull();
    expect(notificationOf(event('TransactionPending', { app_id: 'app-a' }), ownerOf)).toBeNull();
    expect(notificationOf(event('ApiKeyIssued', {}, 'app-a'), ownerOf)).toBeNull();
  });

  it('tells the app of issue 13’s money moves as transactions: an abort’s voids, a reversal (the admin’s too), a decided withdrawal or deposit', () => {
    const aborted = notificationOf(event('TransactionVoided', { app_id: 'app-a', event_id: 7, reason: 'aborted', reverses_transaction_id: null }), ownerOf);
    expect(aborted).toMatchObject({ type: 'transaction.voided', app_id: 'app-a', data: { reason: 'aborted' } });
    // The admin reversed the app's transaction: the reversal carries the original's app, so the app hears it.
    const reversal = notificationOf(event('TransactionPosted', { app_id: 'app-a', type: 'reversal', reverses_transaction_id: 4 }, null), ownerOf);
    expect(reversal).toMatchObject({ type: 'transaction.posted', app_id: 'app-a', data: { reverses_transaction_id: 4 } });
    expect(notificationOf(event('TransactionPosted', { app_id: null, type: 'reversal', reverses_transaction_id: 5 }), ownerOf)).toBeNull(); // a grant's
    expect(notificationOf(event('TransactionPosted', { app_id: 'app-b', type: 'withdrawal', event_id: null }), ownerOf)).toMatchObject({ type: 'transaction.posted', app_id: 'app-b' });
    expect(notificationOf(event('TransactionVoided', { app_id: 'app-b', type: 'deposit', reason: 'declined' }), ownerOf)).toMatchObject({ type: 'transaction.voided', app_id: 'app-b' });
    expect(notificationOf(event('EventAborted', { event_id: 7, app_id: 'app-a' }), ownerOf)).toBeNull();
  });

  it('falls back to the metadata’s app when the data names none', () => {
    expect(notificationOf(event('TransactionPosted', { amount: '1' }, 'app-m'), ownerOf)).toMatchObject({ app_id: 'app-m' });
  });

  it('delivers {id, type, occurred_at, data}', () => {
    const notification = notificationOf(event('TransactionPosted', { app_id: 'app-a', amount: '5' }), ownerOf)!;
    expect(JSON.parse(deliveryBody(notification))).toEqual({
      id: 'id-TransactionPosted',
      type: 'transaction.posted',
      occurred_at: '2026-11-30T12:00:00.000Z',
      data: { app_id: 'app-a', amount: '5' },
    });
  });

  describe('withdrawal.updated', () => {
    const withdrawal = { withdrawal_id: 4, transaction_id: 9, user_id: 'u1', app_id: 'app-w', external_account_id: 2, amount: '40', currency: 'coins', requested_at: '2026-11-30T11:00:00.000Z' };

    it('tells each state change as the API answers the withdrawal, for the app that asked, also when the admin decided', () => {
      const requested = notificationOf(event('WithdrawalRequested', { ...withdrawal, status: 'waiting_for_verification' }, 'app-w'), ownerOf);
      expect(requested).toMatchObject({ type: 'withdrawal.updated', app_id: 'app-w' });
      expect(requested!.data).toEqual({ ...withdrawal, app_id: undefined, status: 'waiting_for_verification', decided_at: null, reason: null });
      const accepted = notificationOf(event('WithdrawalAccepted', { ...withdrawal, status: 'accepted', accepted_at: '2026-11-30T12:00:00.000Z' }), ownerOf);
      expect(accepted).toMatchObject({ type: 'withdrawal.updated', app_id: 'app-w', data: { status: 'accepted', decided_at: '2026-11-30T12:00:00.000Z', reason: null } });
      const declined = notificationOf(event('WithdrawalDeclined', { ...withdrawal, status: 'declined', reason: 'closed', declined_at: '2026-11-30T12:00:00.000Z' }, 'admin-app'), ownerOf);
      expect(declined).toMatchObject({ app_id: 'app-w', data: { status: 'declined', decided_at: '2026-11-30T12:00:00.000Z', reason: 'closed' } });
    });

    it('carries nothing the API does not answer (no reference, no hash), and nobody hears a withdrawal without an app', () => {
      const leaky = { ...withdrawal, status: 'waiting_for_verification', reference: 'DE89370400440532013000', reference_hash: 'abc' };
      const body = deliveryBody(notificationOf(event('WithdrawalRequested', leaky), ownerOf)!);
      expect(body).not.toMatch(/reference|DE893704|abc/);
      expect(notificationOf(event('WithdrawalRequested', { ...withdrawal, app_id: null, status: 'waiting_for_verification' }, 'app-m'), ownerOf)).toBeNull();
    });
  });

  it('tells a deposit’s changes as deposit.updated, with the last 4 of its payment reference as the API answers them', () => {
    const deposit = { deposit_id: 3, transaction_id: 8, user_id: 'u1', app_id: 'app-d', external_account_id: 2, reference_last4: '7731', amount: '25', currency: 'coins', requested_at: '2026-11-30T11:00:00.000Z' };
    const declined = notificationOf(event('DepositDeclined', { ...deposit, status: 'declined', reason: 'no payment', declined_at: '2026-11-30T12:00:00.000Z' }), ownerOf);
    expect(declined).toMatchObject({ type: 'deposit.updated', app_id: 'app-d' });
    expect(declined!.data).toEqual({ ...deposit, app_id: undefined, status: 'declined', decided_at: '2026-11-30T12:00:00.000Z', reason: 'no payment' });
  });
});
