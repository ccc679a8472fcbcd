/** The webhook routes (API.md, "Notifications: webhooks"): register, list, delete, and each one's deliveries. */
import { PageIterator } from '../paging.js';
import { segment, type CallOptions, type Transport } from '../transport.js';
import type { CreatedWebhook, Delivery, Page, Webhook, WebhookEventType } from '../types.js';
import { InvalidArgumentError } from '../values.js';

export interface CreateWebhookBody {
  /** https:// (http:// to loopback and private addresses only where the deployment allows it). */
  url: string;
  /** The types to deliver, or ['*'] for every one. */
  events: Array<WebhookEventType | '*'>;
}

export interface DeliveriesQuery {
  /** Items per page, 1–100. */
  limit?: number;
  /** Start after this cursor. */
  cursor?: string;
}

function webhookId(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('webhook_id', 'webhook_id must be a positive integer');
  return value;
}

export class Webhooks {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** POST /webhooks: keep the answer's secret, it is shown only here. Retries reuse one Idempotency-Key: one webhook. */
  async create(body: CreateWebhookBody, options?: CallOptions): Promise<CreatedWebhook> {
    return (await this.transport.call<CreatedWebhook>({ method: 'POST', path: '/webhooks', body: { url: body.url, events: body.events }, options })).body;
  }

  /** GET /webhooks: the app's webhooks, without their secrets. */
  async list(options?: CallOptions): Promise<Webhook[]> {
    return (await this.transport.call<{ data: Webhook[] }>({ method: 'GET', path: '/webhooks', options })).body.data;
  }

  /**
   * DELETE /webhooks/:id: nothing more is delivered to it. Retried like every call; when a retry
   * follows an answer that was lost, it is told NotFoundError (the webhook is gone either way).
   */
  async delete(id: number, options?: CallOptions): Promise<void> {
    await this.transport.call<undefined>({ method: 'DELETE', path: `/webhooks/${segment(webhookId(id))}`, options });
  }

  /** GET /webhooks/:id/deliveries: newest first, each with its latest attempt, every page by cursor. */
  deliveries(id: number, query: DeliveriesQuery = {}, options?: CallOptions): PageIterator<Delivery> {
    const path = `/webhooks/${segment(webhookId(id))}/deliveries`;
    return new PageIterator(
      async (cursor) => (await this.transport.call<Page<Delivery>>({ method: 'GET', path, query: { limit: query.limit, cursor }, options })).body,
      query.cursor,
    );
  }
}
