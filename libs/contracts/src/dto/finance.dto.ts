import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { CURSOR_MESSAGE, cursorSchema, TRANSACTION_CURSOR_PATTERN } from '../values/cursor';
import { POSITIVE_ID_SCHEMA } from '../values/positive-id';
import { USER_ID_PATH_SCHEMA } from '../values/user-id';
import { AmountField, CurrencyField, DescriptionField, TimeField, UserIdField } from './fields';
import { IsPositiveId, IsUserId } from './validators';

/** The body is optional: seed 000 opens an event with no body and no content type. */
export class OpenEventDto {
  @DescriptionField('round 12 of blackjack')
  description?: string | null;
}

export const POSTABLE_KINDS = ['credit', 'debit'] as const;

export class PostTransactionDto {
  @UserIdField()
  user_id!: string | number;

  @ApiPropertyOptional({
    description: 'an open finance event of the app: the transaction stays pending until the event closes',
    ...POSITIVE_ID_SCHEMA,
    nullable: true,
    example: 12,
  })
  @IsOptional()
  @IsPositiveId()
  event_id?: number | null;

  @ApiProperty({ enum: POSTABLE_KINDS, description: "credit gives the user funds from the app's house account; debit takes them" })
  @IsIn(POSTABLE_KINDS)
  type!: (typeof POSTABLE_KINDS)[number];

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @DescriptionField()
  description?: string | null;
}

export class TransferDto {
  @UserIdField('the user who sends the funds')
  from_user_id!: string | number;

  @UserIdField('the user who receives the funds')
  to_user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @DescriptionField('split the pot')
  description?: string | null;
}

export const CONSISTENCY_LEVELS = ['strong', 'eventual'] as const;

const POSITION_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

/**
 * A query-string integer: only plain decimal digits become a number. `1e3`, `0x10` or `1.0`
 * stay strings and fail @IsInt, as path ids do (Number() would quietly accept them).
 */
export const DecimalInteger = () => Transform(({ value }) => (typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value));

/**
 * How fresh a read must be. Reads come from the read models, which follow the ledger within
 * milliseconds; a read waits until they include this app's own last write through this gateway
 * (read-your-writes), or the write at `min_position` (the X-Coffer-Position of any response).
 */
export class ReadQueryDto {
  @ApiPropertyOptional({
    enum: CONSISTENCY_LEVELS,
    description: 'strong answers from the ledger itself (balances and events); eventual (default) from the read models',
  })
  @IsOptional()
  @IsIn(CONSISTENCY_LEVELS)
  consistency?: (typeof CONSISTENCY_LEVELS)[number];

  @ApiPropertyOptional({
    description: 'wait until the read models include the write at this position (an X-Coffer-Position header)',
    example: '4194304',
  })
  @IsOptional()
  @Matches(POSITION_PATTERN, { message: 'min_position must be a position from an X-Coffer-Position header' })
  min_position?: string;
}

export class BalanceQueryDto extends ReadQueryDto {}

export const TRANSACTION_KINDS = ['credit', 'debit', 'transfer', 'grant'] as const;
export const TRANSACTION_STATUSES = ['pending', 'posted', 'voided'] as const;

/** GET /finance/transactions: newest first, by page (seed 001) or by cursor (stable under inserts). */
export class TransactionsQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({
    ...USER_ID_PATH_SCHEMA,
    description: "a user's transactions across every app; without it, the app's own",
    example: '169015299834642432',
  })
  @IsOptional()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ ...POSITIVE_ID_SCHEMA, description: 'only the transactions of this finance event of the app' })
  @IsOptional()
  @DecimalInteger()
  @IsPositiveId()
  event_id?: number;

  @TimeField('created at or after', '2026-11-01T00:00:00Z')
  from?: string;

  @TimeField('created before', '2026-12-01T00:00:00Z')
  to?: string;

  @ApiPropertyOptional({ enum: TRANSACTION_KINDS })
  @IsOptional()
  @IsIn(TRANSACTION_KINDS)
  type?: (typeof TRANSACTION_KINDS)[number];

  @ApiPropertyOptional({ enum: TRANSACTION_STATUSES })
  @IsOptional()
  @IsIn(TRANSACTION_STATUSES)
  status?: (typeof TRANSACTION_STATUSES)[number];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10000, description: 'page number (default 1)' })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(10000)
  page?: number;

  @ApiPropertyOptional({ ...cursorSchema(TRANSACTION_CURSOR_PATTERN), description: 'next_cursor of the previous page (not with page)' })
  @IsOptional()
  @Matches(TRANSACTION_CURSOR_PATTERN, { message: CURSOR_MESSAGE })
  cursor?: string;
}
