/** Deposits' request body and views (API.md, "Withdrawals and deposits"); the decline body and list query are withdrawals'. */
import { ApiProperty } from '@nestjs/swagger';
import { AmountField, CurrencyField, UserIdField } from '../dto/fields';
import { IsPositiveId } from '../dto/validators';
import { EXACT, TIME } from '../dto/view-schemas';
import { ReferenceField } from '../external-account/dto';
import { POSITIVE_ID_SCHEMA } from '../values/positive-id';
import { VERIFICATION_STATUSES, type VerificationStatus } from '../values/verification-status';
import type { DepositReply } from './commands';

export class RequestDepositDto {
  @UserIdField('the user credited once the deposit is accepted')
  user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @ApiProperty({ ...POSITIVE_ID_SCHEMA, description: "one of the user's linked external accounts, where the money came from", example: 3 })
  @IsPositiveId()
  external_account_id!: number;

  @ReferenceField("the payment's reference (a bank transfer's id, an order number): only its last 4 characters are kept, for the operator to match")
  reference!: string;
}

export class DepositView implements DepositReply {
  @ApiProperty({ example: 7 }) deposit_id!: number;
  @ApiProperty({ example: 41, description: 'the held transaction (type deposit)' }) transaction_id!: number;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ example: 3 }) external_account_id!: number;
  @ApiProperty({ example: '7731', description: "the last 4 characters of the payment's reference" }) reference_last4!: string;
  @ApiProperty({ description: `amount, ${EXACT}`, example: '500' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ enum: VERIFICATION_STATUSES }) status!: VerificationStatus;
  @ApiProperty({ ...TIME }) requested_at!: string;
  @ApiProperty({ ...TIME, nullable: true, description: 'when accepted or declined' }) decided_at!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'why it was declined' }) reason!: string | null;
}

export class DepositListView {
  @ApiProperty({ type: [DepositView], description: 'oldest first' }) data!: DepositView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}
