/** GET /finance/balance/:user_id: its query and its answer. */
import { ApiProperty } from '@nestjs/swagger';
import { ReadQueryDto } from '../dto/read-query';
import { EXACT } from '../dto/view-schemas';
import type { BalanceLine, BalanceReply } from './commands';

export class BalanceQueryDto extends ReadQueryDto {}

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
