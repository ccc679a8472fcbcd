/**
 * Request bodies and response shapes of the webhook routes (API.md, "Notifications: webhooks").
 * The checks are commands.ts's, which the notifier runs again.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { CursorField, LimitField } from '../dto/paging.dto';
import { TIME } from '../dto/view-schemas';
import {
  DELIVERY_CURSOR_PATTERN,
  DELIVERY_STATUSES,
  isWebhookEvents,
  isWebhookUrlShape,
  MAX_WEBHOOK_EVENTS,
  MAX_WEBHOOK_URL_LENGTH,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENTS_MESSAGE,
  WEBHOOK_URL_MESSAGE,
  type DeliveriesReply,
  type DeliveryReply,
  type DeliveryStatus,
  type WebhookEventType,
  type WebhookReply,
} from './commands';

function UrlField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      type: 'string',
      format: 'uri',
      maxLength: MAX_WEBHOOK_URL_LENGTH,
      example: 'https://game.example.com/coffer/webhooks',
      description:
        'where deliveries are POSTed: https://, or http:// to loopback and private addresses only when the deployment sets ' +
        'COFFER_WEBHOOK_ALLOW_PRIVATE=1; private, loopback and link-local targets are refused, also after DNS resolution',
    }),
    ValidateBy({ name: 'isWebhookUrl', validator: { validate: isWebhookUrlShape, defaultMessage: () => WEBHOOK_URL_MESSAGE } }),
  );
}

function EventsField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      type: 'array',
      items: { type: 'string', enum: ['*', ...WEBHOOK_EVENT_TYPES] },
      minItems: 1,
      maxItems: MAX_WEBHOOK_EVENTS,
      example: ['transaction.posted', 'event.expired'],
      description: 'the notification types to deliver, or ["*"] for every one',
    }),
    ValidateBy({ name: 'isWebhookEvents', validator: { validate: isWebhookEvents, defaultMessage: () => WEBHOOK_EVENTS_MESSAGE } }),
  );
}

export class CreateWebhookDto {
  @UrlField()
  url!: string;

  @EventsField()
  events!: string[];
}

export class DeliveriesQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(DELIVERY_CURSOR_PATTERN)
  cursor?: string;
}

export class WebhookView implements WebhookReply {
  @ApiProperty({ type: 'integer', example: 1 })
  webhook_id!: number;
  @ApiProperty({ example: 'https://game.example.com/coffer/webhooks' })
  url!: string;
  @ApiProperty({ type: [String], example: ['*'] })
  events!: string[];
  @ApiProperty(TIME)
  created_at!: string;
}

export class WebhookCreated extends WebhookView {
  @ApiProperty({
    example: 'whsec_3q2-7wAbcdEfgh…',
    description: 'signs every delivery (Coffer-Signature); shown only in this answer: keep it',
  })
  secret!: string;
}

export class WebhookList {
  @ApiProperty({ type: [WebhookView] })
  data!: WebhookView[];
}

export class DeliveryView implements DeliveryReply {
  @ApiProperty({ format: 'uuid', description: 'sent as Coffer-Delivery-Id' })
  delivery_id!: string;
  @ApiProperty({ format: 'uuid', description: 'the id of the delivered body: the same on every attempt' })
  event_id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  type!: WebhookEventType;
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: DeliveryStatus;
  @ApiProperty({ type: 'integer' })
  attempts!: number;
  @ApiProperty({ ...TIME, nullable: true, type: 'string' })
  last_attempt_at!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 200 })
  response_code!: number | null;
  @ApiProperty({ type: 'string', nullable: true })
  error!: string | null;
  @ApiProperty({ ...TIME, nullable: true, type: 'string' })
  next_attempt_at!: string | null;
  @ApiProperty(TIME)
  created_at!: string;
}

export class DeliveryList implements DeliveriesReply {
  @ApiProperty({ type: [DeliveryView], description: 'newest first' })
  data!: DeliveryView[];
  @ApiPropertyOptional({ type: 'string', nullable: true })
  next_cursor!: string | null;
}
