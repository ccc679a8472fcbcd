import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { DELIVERY_CURSOR_PATTERN, isId, isPositiveId, PATTERNS, refusal, type Reply, type Request, type WebhookRequestBody } from '@coffer/contracts';
import { senderOf, takeRequest } from '@coffer/platform';
import { Webhooks } from './store/webhooks';

/** NATS adapter of the webhook registrations: the gateway's signed requests in, replies out. */
@Controller()
export class NotifierController {
  constructor(@Inject(Webhooks) private readonly webhooks: Webhooks) {}

  @MessagePattern(PATTERNS.notifierRequests)
  handle(@Payload() request: Request<WebhookRequestBody>, @Ctx() context: NatsContext): Promise<Reply<unknown>> {
    // Apps reach their webhooks through the gateway only.
    const sender = senderOf(context);
    if (sender !== 'gateway') return Promise.resolve(refusal('FORBIDDEN', `the ${sender} service may not send notifier requests`));
    return takeRequest(request, isRequestBody, 'malformed notifier request', ({ meta, body }): Promise<Reply<unknown>> => {
      switch (body.type) {
        case 'CreateWebhook':
          return this.webhooks.create(meta, body.data, body.request_hash);
        case 'ListWebhooks':
          return this.webhooks.list(meta);
        case 'DeleteWebhook':
          return this.webhooks.delete(meta, body.webhook_id);
        case 'ListDeliveries':
          return this.webhooks.deliveries(meta, body.webhook_id, body.limit, body.cursor);
      }
    });
  }
}

/** The envelope's shape; the fields' rules are Webhooks' (the same as the gateway's DTOs). */
function isRequestBody(body: unknown): body is WebhookRequestBody {
  if (typeof body !== 'object' || body === null) return false;
  const value = body as Record<string, unknown>;
  switch (value.type) {
    case 'CreateWebhook':
      return (
        typeof value.data === 'object' &&
        value.data !== null &&
        (value.request_hash === null || isId(value.request_hash))
      );
    case 'ListWebhooks':
      return true;
    case 'DeleteWebhook':
      return isPositiveId(value.webhook_id);
    case 'ListDeliveries':
      return (
        isPositiveId(value.webhook_id) &&
        typeof value.limit === 'number' &&
        Number.isInteger(value.limit) &&
        (value.cursor === null || (typeof value.cursor === 'string' && DELIVERY_CURSOR_PATTERN.test(value.cursor)))
      );
    default:
      return false;
  }
}
