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
});
