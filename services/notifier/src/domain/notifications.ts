/**
 * Which domain events become webhook notifications, of which type, and for which app (an app
 * hears only about its own doing and its own achievements). Pure: the finance events' owners
 * come from the caller, who remembers them from EventOpened.
 */
import type { WebhookEventType } from '@coffer/contracts';

/** The domain events the notifier reads: those it notifies, and those that say who owns a finance event. */
export const NOTIFIED_EVENT_TYPES = {
  TransactionPosted: 'transaction.posted',
  TransactionVoided: 'transaction.voided',
  EventExpired: 'event.expired',
  AchievementUnlocked: 'achievement.unlocked',
} as const satisfies Record<string, WebhookEventType>;
export const OWNERSHIP_EVENT_TYPES = ['EventOpened', 'EventClosed'] as const;
export const READ_EVENT_TYPES: readonly string[] = [...Object.keys(NOTIFIED_EVENT_TYPES), ...OWNERSHIP_EVENT_TYPES];

export interface DomainEvent {
  id: string;
  type: string;
  occurredAt: Date;
  data: unknown;
  metadata: { app_id?: string | null };
}

export interface Notification {
  /** The domain event's id: the delivered body's `id`, the same on every attempt. */
  id: string;
  type: WebhookEventType;
  app_id: string;
  occurred_at: string;
  data: unknown;
}

const field = (data: unknown, name: string): unknown => (data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined);
const appIdIn = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * The notification an event makes, or null (not a notified type, or nobody's: an admin grant,
 * a system action without an app). `ownerOf` answers the app that opened a finance event.
 */
export function notificationOf(event: DomainEvent, ownerOf: (eventId: number) => string | null): Notification | null {
  const type = (NOTIFIED_EVENT_TYPES as Record<string, WebhookEventType>)[event.type];
  if (!type) return null;
  let app: string | null;
  if (event.type === 'EventExpired') {
    // The expiry is the ledger's own sweep (no app in the metadata): the event's opener owns it.
    const eventId = field(event.data, 'event_id');
    app = typeof eventId === 'number' ? ownerOf(eventId) : null;
  } else {
    // A transaction or an unlock names its app; the metadata's is whoever's key caused it.
    app = appIdIn(field(event.data, 'app_id')) ?? appIdIn(event.metadata.app_id);
  }
  if (app === null) return null;
  return { id: event.id, type, app_id: app, occurred_at: event.occurredAt.toISOString(), data: event.data };
}

/** The delivered body: `{id, type, occurred_at, data}` (API.md). */
export function deliveryBody(notification: Notification): string {
  const { id, type, occurred_at, data } = notification;
  return JSON.stringify({ id, type, occurred_at, data });
}
