/**
 * Which domain events become webhook notifications, of which type, and for which app (an app
 * hears only about its own doing and its own achievements). Pure: the finance events' owners
 * come from the caller, who remembers them from EventOpened; withdrawals' and deposits' events name theirs.
 */
import type { WebhookEventType } from '@coffer/contracts';
import { isVerificationUpdate, verificationUpdate, VERIFICATION_UPDATE_TYPES } from './verification-updates';

/** The domain events the notifier reads: those it notifies, and those that say who owns a finance event. */
export const NOTIFIED_EVENT_TYPES = {
  TransactionPosted: 'transaction.posted',
  TransactionVoided: 'transaction.voided',
  EventExpired: 'event.expired',
  AchievementUnlocked: 'achievement.unlocked',
  ...VERIFICATION_UPDATE_TYPES,
} as const satisfies Record<string, WebhookEventType>;
/**
 * EventOpened remembers a finance event's owner; closing or aborting it (expiry is notified, so
 * read anyway) forgets it. An abort is no notification of its own: its voids are
 * (transaction.voided, reason aborted), as an expiry's are.
 */
export const OWNERSHIP_EVENT_TYPES = ['EventOpened', 'EventClosed', 'EventAborted'] as const;
/** The events after which a finance event changes no more, so its owner is needed no longer. */
export const SETTLING_EVENT_TYPES: readonly string[] = ['EventClosed', 'EventExpired', 'EventAborted'];
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
  let data = event.data;
  if (isVerificationUpdate(event.type)) {
    // The admin accepts and declines (no app in the metadata, or not the asker's): every event
    // carries the app that asked for the withdrawal or deposit, remembered by the ledger from the request.
    app = appIdIn(field(event.data, 'app_id'));
    data = verificationUpdate(event.type, event.data as Record<string, unknown>);
  } else if (event.type === 'EventExpired') {
    // The expiry is the ledger's own sweep (no app in the metadata): the event's opener owns it.
    const eventId = field(event.data, 'event_id');
    app = typeof eventId === 'number' ? ownerOf(eventId) : null;
  } else {
    // A transaction or an unlock names its app; the metadata's is whoever's key caused it.
    app = appIdIn(field(event.data, 'app_id')) ?? appIdIn(event.metadata.app_id);
  }
  if (app === null) return null;
  return { id: event.id, type, app_id: app, occurred_at: event.occurredAt.toISOString(), data };
}

/** The delivered body: `{id, type, occurred_at, data}` (API.md). */
export function deliveryBody(notification: Notification): string {
  const { id, type, occurred_at, data } = notification;
  return JSON.stringify({ id, type, occurred_at, data });
}
