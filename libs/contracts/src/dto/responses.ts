/**
 * The error response every concept's endpoints share, as a class so the OpenAPI document (/docs)
 * shows it (each concept's own views are in its dto.ts). `details` lists the fields a refusal may
 * carry, each typed, rather than "any object": which of them a code carries is in the examples
 * of each status (services/gateway/src/http/error-examples.ts).
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from '../errors';

const EXACT = 'a decimal string (exact: never a JSON number)';

export class ErrorDetails {
  @ApiPropertyOptional({
    description: 'VALIDATION_FAILED: each refused field (body, query or header) with what is wrong with it',
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { amount: ['amount must be a positive integer'] },
  })
  fields?: Record<string, string[]>;
  @ApiPropertyOptional({ description: 'RATE_LIMITED, UNAVAILABLE: seconds to wait (also in Retry-After)', type: 'integer', example: 1 })
  retry_after_seconds?: number;
  @ApiPropertyOptional({ description: `INSUFFICIENT_FUNDS: what the user can spend now, ${EXACT}`, example: '85' }) available?: string;
  @ApiPropertyOptional({ description: `INSUFFICIENT_FUNDS: what was asked for, ${EXACT}`, example: '100' }) requested?: string;
  @ApiPropertyOptional({ description: 'INSUFFICIENT_FUNDS: the currency', example: 'coins' }) currency?: string;
  @ApiPropertyOptional({ description: 'LIMIT_EXCEEDED: the name of the limit', example: 'pending_transactions_per_event' }) limit?: string;
  @ApiPropertyOptional({ description: 'LIMIT_EXCEEDED: its value', type: 'integer', example: 1000 }) maximum?: number;
  @ApiPropertyOptional({ description: 'EVENT_NOT_OPEN: what the event is now', enum: ['closed', 'expired', 'aborted'], example: 'closed' })
  status?: string;
  @ApiPropertyOptional({ description: 'METHOD_NOT_ALLOWED: the methods the path takes (also in Allow)', type: [String], example: ['POST'] })
  allow?: string[];
  @ApiPropertyOptional({ description: 'UNAVAILABLE: the store position the read models have not reached yet', example: '4194304' })
  min_position?: string;
}

export class ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), description: 'stable: branch on it, never on the message', example: 'INSUFFICIENT_FUNDS' })
  code!: string;
  @ApiProperty({ description: 'for people: says what to fix; its wording may change', example: 'the balance available does not cover this amount' })
  message!: string;
  @ApiPropertyOptional({ type: ErrorDetails }) details?: ErrorDetails;
}

export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}
