/**
 * Response shapes, as classes so the OpenAPI document (/docs) shows them. Amounts and balances
 * are JSON strings of digits: exact at any size, where a JSON number would round above 2^53.
 * User ids are always strings.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from '../errors';

const EXACT = 'JSON string of digits, so it stays exact at any size';
const TIME = { type: 'string', format: 'date-time' } as const;

export class ApiKeySummary {
  @ApiProperty({ example: 'key_3f9a0c1d2e4b5a6978877665' }) key_id!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ ...TIME, nullable: true, example: null }) revoked_at!: string | null;
}

export class AppSummary {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ type: [ApiKeySummary] }) keys!: ApiKeySummary[];
}

export class AppList {
  @ApiProperty({ type: [AppSummary], description: 'in the order they were registered' }) data!: AppSummary[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}

export class ApiKeyCreated {
  @ApiProperty({ example: 'key_3f9a0c1d2e4b5a6978877665' }) key_id!: string;
  @ApiProperty({
    type: 'string',
    description:
      'the key itself, shown only here: Coffer keeps only its hash. A replay of the same ' +
      'Idempotency-Key cannot show it again and gives null (issue another key instead).',
    nullable: true,
    example: 'ck_wq1dZs8bS2n0yqkJx8q8F3p5Yy2n0yqkJx8q8F3p5Yy',
  })
  api_key!: string | null;
}

export class AppCreated extends ApiKeyCreated {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
}

export class TransactionView {
  @ApiProperty({ example: 41 }) transaction_id!: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 12 }) event_id!: number | null;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiPropertyOptional({ description: 'the receiving user, on transfers only (user_id is the sender)' })
  to_user_id?: string;
  @ApiProperty({ enum: ['credit', 'debit', 'grant', 'transfer'] }) type!: string;
  @ApiProperty({ description: `amount, ${EXACT}`, example: '15' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: ['pending', 'posted', 'voided'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'test transaction' }) description!: string | null;
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
  @ApiProperty({ example: 'player-7' }) to_user_id!: string;
  @ApiProperty({ enum: ['transfer'] }) type!: 'transfer';
  @ApiProperty({ description: `amount, ${EXACT}`, example: '15' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: ['posted'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'split the pot' }) description!: string | null;
  @ApiProperty({ ...TIME }) created_at!: string;
}

export class FinanceEventOpen {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ enum: ['open'] }) status!: string;
  @ApiProperty({ ...TIME, description: 'when the event expires unless pinged before' }) expires_at!: string;
}

export class FinanceEventClosed {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ enum: ['closed'] }) status!: string;
  @ApiProperty({ ...TIME }) closed_at!: string;
}

export class FinanceEventView {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ enum: ['open', 'closed', 'expired'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'round 12 of blackjack' }) description!: string | null;
  @ApiProperty({ ...TIME }) opened_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) last_ping_at!: string | null;
  @ApiProperty({ ...TIME }) expires_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) closed_at!: string | null;
  @ApiProperty({ ...TIME, nullable: true }) expired_at!: string | null;
  @ApiProperty({ type: [TransactionView] }) transactions!: TransactionView[];
}

export class BalanceLineView {
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ description: `posted − pending_debit: what the user can spend now, ${EXACT}`, example: '85' })
  available!: string;
  @ApiProperty({ description: EXACT, example: '100' }) posted!: string;
  @ApiProperty({ description: `held by open events' debits, ${EXACT}`, example: '15' }) pending_debit!: string;
  @ApiProperty({ description: `promised by open events' credits (not yet spendable), ${EXACT}`, example: '0' })
  pending_credit!: string;
}

export class BalanceView {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ type: [BalanceLineView], description: 'one line per currency; an unknown user has none' })
  balances!: BalanceLineView[];
}

class ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'INSUFFICIENT_FUNDS' }) code!: string;
  @ApiProperty({ example: 'the available balance does not cover the debit' }) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}
