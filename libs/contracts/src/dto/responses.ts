/**
 * The error response every concept's endpoints share, as a class so the OpenAPI document (/docs)
 * shows it (each concept's own views are in its dto.ts).
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from '../errors';

class ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'INSUFFICIENT_FUNDS' }) code!: string;
  @ApiProperty({ example: 'the available balance does not cover the debit' }) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}
