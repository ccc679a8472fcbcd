/**
 * Webhooks (API.md, "Notifications: webhooks"): an app's endpoints, the event types they hear,
 * and the log of their deliveries. The notifier service owns them; the gateway reaches it with
 * signed NATS requests (PATTERNS.notifierRequests). The shape checks here are run by the
 * gateway's DTOs and again by the notifier, which also checks where a URL leads (SSRF).
 */

/** The notification types a webhook may ask for; `*` asks for every one, present and future. */
export const WEBHOOK_EVENT_TYPES = ['transaction.posted', 'transaction.voided', 'event.expired', 'achievement.unlocked', 'withdrawal.updated', 'deposit.updated', 'daily.summary'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const ALL_WEBHOOK_EVENTS = '*';

/** Longest webhook URL, in characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Most event types one webhook lists (every type once, or `*`). */
export const MAX_WEBHOOK_EVENTS = 16;
/** Most webhooks an app may have at once. */
export const MAX_WEBHOOKS_PER_APP = 10;
/** Most deliveries one page of a webhook's log holds. */
export const MAX_LIST_LIMIT_FOR_DELIVERIES = 100;

export interface WebhookReply {
  webhook_id: number;
  url: string;
  events: string[];
  created_at: string;
}

/** The answer to a registration: the only time the secret is shown. */
export interface CreatedWebhookReply extends WebhookReply {
  secret: string;
  /** An Idempotency-Key replay: the first answer again. */
  replayed: boolean;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One notification to one webhook, with its latest attempt. */
export interface DeliveryReply {
  delivery_id: string;
  /** The domain event's id: the `id` of the delivered body, the same on every attempt. */
  event_id: string;
  type: WebhookEventType;
  /** pending (not yet delivered: next_attempt_at says when), delivered, or failed (given up after the retry window). */
  status: DeliveryStatus;
  attempts: number;
  last_attempt_at: string | null;
  /** The receiver's HTTP status of the latest attempt, null when none came (refused address, timeout, connection error). */
  response_code: number | null;
  /** Why the latest attempt failed, when it did. */
  error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export interface DeliveriesReply {
  data: DeliveryReply[];
  next_cursor: string | null;
}

/** A page of deliveries is after this cursor: the delivery sequence number, as digits. */
export const DELIVERY_CURSOR_PATTERN = /^[0-9]{1,18}$/;

export type WebhookRequestBody =
  | { type: 'CreateWebhook'; data: { url: string; events: string[] }; request_hash: string | null }
  | { type: 'ListWebhooks' }
  | { type: 'DeleteWebhook'; webhook_id: number }
  | { type: 'ListDeliveries'; webhook_id: number; limit: number; cursor: string | null };

/** A URL's shape: http(s), no credentials, no fragment, at most MAX_WEBHOOK_URL_LENGTH. Where it leads is the notifier's check. */
export function isWebhookUrlShape(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_WEBHOOK_URL_LENGTH) return false;
  // No whitespace or control characters: URL() would quietly strip some of them.
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.hash && url.hostname !== '';
}

export const WEBHOOK_URL_MESSAGE = `url must be an http(s) URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters, without credentials or fragment`;

/** `["*"]`, or 1–MAX_WEBHOOK_EVENTS known types without repeats. */
export function isWebhookEvents(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_WEBHOOK_EVENTS) return false;
  if (value.length === 1 && value[0] === ALL_WEBHOOK_EVENTS) return true;
  return value.every((type) => (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(type)) && new Set(value).size === value.length;
}

export const WEBHOOK_EVENTS_MESSAGE = `events must be ["*"] or a list of distinct types among ${WEBHOOK_EVENT_TYPES.join(', ')}`;

/** Whether a webhook that asked for `events` hears notifications of `type`. */
export function webhookHears(events: readonly string[], type: string): boolean {
  return events.includes(ALL_WEBHOOK_EVENTS) || events.includes(type);
}
