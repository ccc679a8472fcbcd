/** The finance transaction's request bodies, list query and views (API.md, "Finance"). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { AmountField, CurrencyField, DescriptionField, OptionalAmountField, TimeField, UserIdField } from '../dto/fields';
import { DecimalInteger, ReadQueryDto } from '../dto/read-query';
import { EXACT, TIME } from '../dto/view-schemas';
import { IsPositiveId, IsUserId } from '../dto/validators';
import { CURSOR_MESSAGE, cursorSchema, TRANSACTION_CURSOR_PATTERN } from '../values/cursor';
import { POSITIVE_ID_SCHEMA } from '../values/positive-id';
import { USER_ID_PATH_SCHEMA } from '../values/user-id';
import type { TransactionReply } from './commands';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, type TransactionStatus, type TransactionType } from './events';

/** The types an app may post itself: transfers and grants have routes of their own. */
export const POSTABLE_TYPES = ['credit', 'debit'] as const;

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

  @ApiProperty({ enum: POSTABLE_TYPES, description: "credit gives the user funds from the app's house account; debit takes them", example: 'debit' })
  @IsIn(POSTABLE_TYPES)
  type!: (typeof POSTABLE_TYPES)[number];

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

  @UserIdField('the user who receives the funds', '80351110224678912')
  to_user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @DescriptionField('split the pot')
  description?: string | null;
}

/** Funds from outside the games (rewards, purchases): moved from the treasury to the user. */
export class GrantDto {
  @UserIdField('the user who receives the funds')
  user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @DescriptionField('weekly community reward')
  description?: string | null;
}

/** POST /finance/transactions/:id/reverse (and the admin's): the body is optional. */
export class ReverseTransactionDto {
  @OptionalAmountField('without it, all that is left to reverse of the transaction')
  amount?: string | number;

  @DescriptionField('refund: round cancelled')
  description?: string | null;
}

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

  @ApiPropertyOptional({ enum: TRANSACTION_TYPES })
  @IsOptional()
  @IsIn(TRANSACTION_TYPES)
  type?: (typeof TRANSACTION_TYPES)[number];

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

/** A transaction as the API shows it: the ledger's TransactionReply (the compiler keeps them one shape). */
export class TransactionView implements TransactionReply {
  @ApiProperty({ example: 41 }) transaction_id!: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 12 }) event_id!: number | null;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiPropertyOptional({ description: 'the receiving user, on transfers only (user_id is the sender)', example: '80351110224678912' })
  to_user_id?: string;
  @ApiProperty({ enum: TRANSACTION_TYPES }) type!: TransactionType;
  @ApiProperty({ description: `amount, ${EXACT}`, example: '15' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: TRANSACTION_STATUSES }) status!: TransactionStatus;
  @ApiProperty({ type: 'string', nullable: true, example: 'test transaction' }) description!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'on a reversal: the transaction it moves back; null otherwise' })
  reverses_transaction_id!: number | null;
  @ApiProperty({ ...TIME }) created_at!: string;
}

export class TransactionsPageView {
  @ApiProperty({ type: [TransactionView], description: 'newest first' }) data!: TransactionView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}

export class TransferView {
  @ApiProperty({ example: 42 }) transaction_id!: number;
  @ApiProperty({ example: '169015299834642432' }) from_user_id!: string;
  @ApiProperty({ example: '80351110224678912' }) to_user_id!: string;
  @ApiProperty({ enum: ['transfer'] }) type!: 'transfer';
  @ApiProperty({ description: `amount, ${EXACT}`, example: '15' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: ['posted'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'split the pot' }) description!: string | null;
  @ApiProperty({ ...TIME }) created_at!: string;
}
