/** GET /finance/balance/:user_id and GET /finance/statement/:user_id: their queries and answers. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CurrencyField, TimeField } from '../dto/fields';
import { MinPositionQueryDto, ReadQueryDto } from '../dto/read-query';
import { EXACT, TIME } from '../dto/view-schemas';
import { MAX_STATEMENT_MOVEMENTS, STATEMENT_FORMATS, type BalanceLine, type BalanceReply, type StatementFormat, type StatementMovement, type StatementReply } from './commands';

export class BalanceQueryDto extends ReadQueryDto {
  @TimeField(
    'the balances as they stood at this time: every change at or before it counted, a later one not ' +
      '(a plain date is its midnight UTC). From the read models: not with consistency=strong',
    '2026-11-30T12:00:00Z',
  )
  at?: string;
}

export class BalanceLineView implements BalanceLine {
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ description: `posted − pending_debit: what the user can spend now, ${EXACT}`, example: '85' })
  available!: string;
  @ApiProperty({ description: EXACT, example: '100' }) posted!: string;
  @ApiProperty({ description: `held by open finance events' debits, ${EXACT}`, example: '15' }) pending_debit!: string;
  @ApiProperty({ description: `promised by open finance events' credits (not yet spendable), ${EXACT}`, example: '0' })
  pending_credit!: string;
}

/** A balance as the API shows it: the ledger's BalanceReply (the compiler keeps them one shape). */
export class BalanceView implements BalanceReply {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ type: [BalanceLineView], description: 'one line per currency; an unknown user has none' })
  balances!: BalanceLineView[];
}

/** GET /finance/statement/:user_id: one currency over [from, to), as JSON or CSV. */
export class StatementQueryDto extends MinPositionQueryDto {
  @CurrencyField()
  currency?: string;

  @TimeField('movements posted at or after it; the opening balance is the posted balance just before it (default: from the first)', '2026-11-01')
  from?: string;

  @TimeField('movements posted before it; the closing balance is the posted balance just before it (default: up to now)', '2026-12-01')
  to?: string;

  @ApiPropertyOptional({ enum: STATEMENT_FORMATS, default: 'json', description: 'csv: text/csv with a header row' })
  @IsOptional()
  @IsIn(STATEMENT_FORMATS)
  format?: StatementFormat;
}

export class StatementMovementView implements StatementMovement {
  @ApiProperty({ example: 41 }) transaction_id!: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 12 }) event_id!: number | null;
  @ApiProperty({ example: 'debit' }) type!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'round 12' }) description!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'on a reversal: the transaction it moves back; null otherwise' })
  reverses_transaction_id!: number | null;
  @ApiProperty({ description: `what it moved for this user: positive in, negative out (a leading -), ${EXACT}`, example: '-15' })
  amount!: string;
  @ApiProperty({ description: `the posted balance right after it (running balance), ${EXACT}`, example: '85' }) balance!: string;
  @ApiProperty({ ...TIME, description: 'when it posted (for a finance event: when the event closed)' }) posted_at!: string;
}

export class StatementView implements StatementReply {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ ...TIME, nullable: true, description: 'the period start as asked (null: from the first movement)' }) from!: string | null;
  @ApiProperty({ ...TIME, nullable: true, description: 'the period end as asked, exclusive (null: up to now)' }) to!: string | null;
  @ApiProperty({ description: `posted balance just before the period, ${EXACT}`, example: '100' }) opening_balance!: string;
  @ApiProperty({
    type: [StatementMovementView],
    description: `every posted movement of the period in posted order, at most ${MAX_STATEMENT_MOVEMENTS} (more: 422 LIMIT_EXCEEDED)`,
  })
  movements!: StatementMovementView[];
  @ApiProperty({ description: `posted balance at the end of the period, ${EXACT}`, example: '85' }) closing_balance!: string;
}
