/**
 * Field rules shared by several request bodies: one validation and one OpenAPI description
 * per kind of field, so the same field reads and checks the same everywhere. The rules, their
 * messages and their schemas are values (../values); this file only dresses them as decorators.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import { AMOUNT_RULE, AMOUNT_SCHEMA } from '../values/amount';
import { CURRENCY_SCHEMA, currencyMessage, DEFAULT_CURRENCY, isCurrency } from '../values/currency';
import { MAX_DESCRIPTION_LENGTH } from '../values/description';
import { TEXT_RULE, textSchema } from '../values/text';
import { TIME_RULE } from '../values/time';
import { USER_ID_RULE, USER_ID_SCHEMA } from '../values/user-id';
import { isRealm, REALM_MESSAGE, REALM_SCHEMA } from '../values/realm';
import { DEFAULT_REALM } from '../subjects';
import { IsAmount, IsText, IsTime, IsUserId } from './validators';

export { MAX_DESCRIPTION_LENGTH };

/** Examples are strings: a JavaScript number cannot hold a snowflake (it would send ...430). */
export const USER_ID_EXAMPLE = '169015299834642432';

export function UserIdField(description = 'the user (an opaque id)', example = USER_ID_EXAMPLE): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description: `${description}: ${USER_ID_RULE}. Responses give it as a string; from JavaScript, send it as one too.`,
      ...USER_ID_SCHEMA,
      example,
    }),
    IsUserId(),
  );
}

export function AmountField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description: `${AMOUNT_RULE} in the currency's smallest unit: a JSON number or a string of digits`,
      ...AMOUNT_SCHEMA,
      example: 15,
    }),
    IsAmount(),
  );
}

/** An amount that may be left out (`absent` says what it then is). */
export function OptionalAmountField(absent: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `${AMOUNT_RULE} in the currency's smallest unit: a JSON number or a string of digits; ${absent}`,
      ...AMOUNT_SCHEMA,
      example: 5,
    }),
    IsOptional(),
    IsAmount(),
  );
}

export function CurrencyField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `currency code; defaults to the realm's default currency (${DEFAULT_CURRENCY})`,
      ...CURRENCY_SCHEMA,
      default: DEFAULT_CURRENCY,
      example: DEFAULT_CURRENCY,
    }),
    IsOptional(),
    ValidateBy({ name: 'isCurrency', validator: { validate: isCurrency, defaultMessage: () => currencyMessage() } }),
  );
}

/** Free text (values/text.ts): its schema says the rule, its validator checks it. */
export function TextField(options: {
  maxLength: number;
  minLength?: number;
  required?: boolean;
  nullable?: boolean;
  description?: string;
  example?: string;
}): PropertyDecorator {
  const { maxLength, minLength = 0, required = false, nullable = false, description, example } = options;
  const doc = {
    ...textSchema(maxLength, minLength),
    nullable,
    description: `${description ? `${description}: ` : ''}${TEXT_RULE}, at most ${maxLength} characters`,
    example,
  };
  return applyDecorators(
    required ? ApiProperty(doc) : ApiPropertyOptional(doc),
    ...(required ? [] : [IsOptional()]),
    IsText(maxLength, { nullable }),
  );
}

/** A finance event's or transaction's description (values/description.ts). */
export function DescriptionField(example = 'test transaction'): PropertyDecorator {
  return TextField({ maxLength: MAX_DESCRIPTION_LENGTH, nullable: true, example });
}

/** A time filter of a query (values/time.ts). */
export function TimeField(description: string, example: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'string', description: `${description}: ${TIME_RULE}`, example }),
    IsOptional(),
    IsTime(),
  );
}

/** The realm a request acts on (values/realm.ts), in a body or a query string; absent: the default realm. */
export function RealmField(what = 'the realm (community) to act on'): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ ...REALM_SCHEMA, description: `${what}; default \`${DEFAULT_REALM}\``, default: DEFAULT_REALM, example: 'blue' }),
    IsOptional(),
    ValidateBy({ name: 'isRealm', validator: { validate: isRealm, defaultMessage: () => REALM_MESSAGE } }),
  );
}

/** `?realm=` of the admin routes that act on one realm (its ledger) but name no app. */
export class RealmQueryDto {
  @RealmField()
  realm?: string;
}
