/** The allowance's request bodies and view (API.md, "Money operations beyond seed 000"). */
import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { AmountField, UserIdField } from '../dto/fields';
import { EXACT, TIME } from '../dto/view-schemas';
import { ALLOWANCE_PERIODS, type AllowancePeriod, type AllowanceReply } from './commands';

/** PUT /admin/allowances/:currency */
export class SetAllowanceDto {
  @AmountField()
  amount!: string | number;

  @ApiProperty({ enum: ALLOWANCE_PERIODS, description: 'daily: from 00:00 UTC; weekly: ISO weeks, from Monday 00:00 UTC' })
  @IsIn(ALLOWANCE_PERIODS)
  period!: AllowancePeriod;
}

/** POST /finance/allowances/:currency/claim */
export class ClaimAllowanceDto {
  @UserIdField('the user who claims the allowance')
  user_id!: string | number;
}

export class AllowanceView implements AllowanceReply {
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ type: 'string', description: EXACT, example: '100' }) amount!: string;
  @ApiProperty({ enum: ALLOWANCE_PERIODS }) period!: AllowancePeriod;
  @ApiProperty({ ...TIME }) updated_at!: string;
}
