/** Withdrawals' request bodies, list query and views (API.md, "Withdrawals and deposits"). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { AmountField, CurrencyField, RealmField, TextField, UserIdField } from '../dto/fields';
import { CursorField, LimitField } from '../dto/paging.dto';
import { POSITION_PATTERN } from '../dto/read-query';
import { IsPositiveId } from '../dto/validators';
import { EXACT, TIME } from '../dto/view-schemas';
import { MAX_DECLINE_REASON_LENGTH } from '../values/external-account';
import { POSITIVE_ID_SCHEMA, POSITIVE_ID_TEXT_PATTERN } from '../values/positive-id';
import { VERIFICATION_STATUSES, type VerificationStatus } from '../values/verification-status';
import type { WithdrawalReply } from './commands';

export class RequestWithdrawalDto {
  @UserIdField('the user who withdraws')
  user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @ApiProperty({ ...POSITIVE_ID_SCHEMA, description: "one of the user's linked external accounts", example: 3 })
  @IsPositiveId()
  external_account_id!: number;
}

/** POST /admin/withdrawals/:id/decline and /admin/deposits/:id/decline. */
export class DeclineDto {
  @TextField({ maxLength: MAX_DECLINE_REASON_LENGTH, minLength: 1, required: true, description: 'why (kept, and told to the app)', example: 'account closed' })
  reason!: string;
}

/** GET /admin/withdrawals and /admin/deposits: oldest first, by status. */
export class VerificationListQueryDto {
  @ApiPropertyOptional({ enum: VERIFICATION_STATUSES, description: 'only these (waiting_for_verification: the queue to work through)' })
  @IsOptional()
  @IsIn(VERIFICATION_STATUSES)
  status?: VerificationStatus;

  @LimitField()
  limit?: number;

  @CursorField(POSITIVE_ID_TEXT_PATTERN)
  cursor?: string;

  @RealmField('the realm whose requests to list (each realm numbers its own)')
  realm?: string;

  @ApiPropertyOptional({
    description: "wait until the read models include the write at this position (an accept's or decline's X-Coffer-Position header)",
    example: '4194304',
  })
  @IsOptional()
  @Matches(POSITION_PATTERN, { message: 'min_position must be a position from an X-Coffer-Position header' })
  min_position?: string;
}

export class WithdrawalView implements WithdrawalReply {
  @ApiProperty({ example: 7 }) withdrawal_id!: number;
  @ApiProperty({ example: 41, description: 'the held transaction (type withdrawal)' }) transaction_id!: number;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ example: 3 }) external_account_id!: number;
  @ApiProperty({ description: `amount, ${EXACT}`, example: '500' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: VERIFICATION_STATUSES }) status!: VerificationStatus;
  @ApiProperty({ ...TIME }) requested_at!: string;
  @ApiProperty({ ...TIME, nullable: true, description: 'when accepted or declined' }) decided_at!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'why it was declined' }) reason!: string | null;
}

export class WithdrawalListView {
  @ApiProperty({ type: [WithdrawalView], description: 'oldest first' }) data!: WithdrawalView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}
