/** External accounts' request body and views (API.md, "Withdrawals and deposits"). */
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, ValidateBy } from 'class-validator';
import { TextField } from '../dto/fields';
import { TIME } from '../dto/view-schemas';
import {
  EXTERNAL_ACCOUNT_KINDS,
  isReference,
  MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH,
  REFERENCE_SCHEMA,
  referenceMessage,
  type ExternalAccountKind,
} from '../values/external-account';
import type { ExternalAccountReply } from './commands';

/** A printable ASCII reference (values/external-account.ts): kept only as its last 4 characters and a keyed hash. */
export function ReferenceField(description: string): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ ...REFERENCE_SCHEMA, description, example: 'DE89370400440532013000' })(target, key);
    ValidateBy({ name: 'isReference', validator: { validate: isReference, defaultMessage: () => referenceMessage() } })(target, key);
  };
}

export class LinkExternalAccountDto {
  @ApiProperty({ enum: EXTERNAL_ACCOUNT_KINDS, description: 'what kind of account it is' })
  @IsIn(EXTERNAL_ACCOUNT_KINDS, { message: `kind must be one of ${EXTERNAL_ACCOUNT_KINDS.join(', ')}` })
  kind!: ExternalAccountKind;

  @TextField({ maxLength: MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH, minLength: 1, required: true, description: 'what the user calls it', example: 'savings' })
  label!: string;

  @ReferenceField('the account outside (an IBAN, an e-mail, a prize desk id): only its last 4 characters are ever shown again')
  reference!: string;
}

/** A linked external account as the API shows it: the ledger's ExternalAccountReply without the user. */
export class ExternalAccountView implements Omit<ExternalAccountReply, 'user_id'> {
  @ApiProperty({ example: 3 }) external_account_id!: number;
  @ApiProperty({ enum: EXTERNAL_ACCOUNT_KINDS }) kind!: ExternalAccountKind;
  @ApiProperty({ example: 'savings' }) label!: string;
  @ApiProperty({ example: '3000', description: 'the last 4 characters of the reference: all of it that is kept' }) reference_last4!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
}

export class ExternalAccountListView {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ type: [ExternalAccountView], description: 'oldest first; at most the per-user cap' }) data!: ExternalAccountView[];
}
