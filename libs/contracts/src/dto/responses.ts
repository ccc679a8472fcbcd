/**
 * Response shapes shared by every concept (each concept's views are in its dto.ts), as classes
 * so the OpenAPI document (/docs) shows them. Amounts and balances
 * are JSON strings of digits: exact at any size, where a JSON number would round above 2^53.
 * User ids are always strings.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from '../errors';

export const EXACT = 'JSON string of digits, so it stays exact at any size';
export const TIME = { type: 'string', format: 'date-time' } as const;

class ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'INSUFFICIENT_FUNDS' }) code!: string;
  @ApiProperty({ example: 'the available balance does not cover the debit' }) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}
