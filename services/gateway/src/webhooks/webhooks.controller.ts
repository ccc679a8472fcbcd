import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { MAX_LIST_LIMIT_FOR_DELIVERIES, PATTERNS, type CreatedWebhookReply, type DeliveriesReply, type WebhookReply, type WebhookRequestBody } from '@coffer/contracts';
import { CreateWebhookDto, DeliveriesQueryDto, DeliveryList, WebhookCreated, WebhookList } from '@coffer/contracts/http';
import { AppAuthGuard } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, REPLAYED_HEADER, type CommandContext } from '../commands/command-sender';
import { commandIdFor, requestHash } from '../commands/idempotency';
import { ApiErrors, ApiIdempotent } from '../http/api-docs';
import { PositiveIdParam } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';

const WEBHOOK_ID_PARAM = { name: 'id', description: 'the webhook_id', schema: { type: 'integer', minimum: 1 } } as const;

/**
 * The calling app's webhooks (API.md, "Notifications: webhooks"), kept by the notifier service,
 * which delivers them from an outbox fed by the event store.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(NatsRequestClient) private readonly backend: NatsRequestClient) {}

  @Post()
  @ApiOperation({ operationId: 'createWebhook',
    summary: 'Register a webhook',
    description:
      'Deliveries are POSTs of {id, type, occurred_at, data} signed with the secret (Coffer-Signature: t=<unix seconds>,' +
      'v1=<hex HMAC-SHA256 of "<t>.<raw body>">; verify with @coffer/sdk verifyWebhook) and carrying Coffer-Delivery-Id. ' +
      'A non-2xx answer or none within 10 s is retried with exponential backoff for 24 h; in order per webhook, at least ' +
      'once (drop doubles by id). The secret is shown only in this answer.',
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: WebhookCreated })
  @ApiErrors('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED', 'LIMIT_EXCEEDED')
  async create(@Body() body: CreateWebhookDto, @Command() context: CommandContext): Promise<WebhookCreated> {
    const data = { url: body.url, events: body.events };
    const hash = context.idempotencyKey === undefined ? null : requestHash(context.method, '/webhooks', data);
    const request: WebhookRequestBody = { type: 'CreateWebhook', data, request_hash: hash };
    const { replayed, ...created } = await this.backend.request<CreatedWebhookReply>(
      PATTERNS.notifierRequests,
      request,
      context.caller,
      commandIdFor(context.caller.app_id, context.idempotencyKey),
    );
    if (replayed) void context.reply.header(REPLAYED_HEADER, 'true');
    return created;
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhooks', summary: "The app's webhooks", description: 'Without their secrets.' })
  @ApiOkResponse({ type: WebhookList })
  async list(@CurrentApp() app: AppCaller): Promise<WebhookList> {
    return this.backend.request<{ data: WebhookReply[] }>(PATTERNS.notifierRequests, { type: 'ListWebhooks' } satisfies WebhookRequestBody, app);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a webhook', description: 'Nothing more is delivered to it; what waited is dropped.' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async delete(@PositiveIdParam('id') webhookId: number, @CurrentApp() app: AppCaller): Promise<void> {
    await this.backend.request<null>(PATTERNS.notifierRequests, { type: 'DeleteWebhook', webhook_id: webhookId } satisfies WebhookRequestBody, app);
  }

  @Get(':id/deliveries')
  @ApiOperation({ operationId: 'listWebhookDeliveries',
    summary: "A webhook's deliveries",
    description: 'Newest first, each with its latest attempt: status, response code, error, next retry. The newest 1,000 finished ones are kept.',
  })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: DeliveryList })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async deliveries(
    @PositiveIdParam('id') webhookId: number,
    @Query() query: DeliveriesQueryDto,
    @CurrentApp() app: AppCaller,
  ): Promise<DeliveryList> {
    const request: WebhookRequestBody = {
      type: 'ListDeliveries',
      webhook_id: webhookId,
      limit: query.limit ?? MAX_LIST_LIMIT_FOR_DELIVERIES,
      cursor: query.cursor ?? null,
    };
    return this.backend.request<DeliveriesReply>(PATTERNS.notifierRequests, request, app);
  }
}
