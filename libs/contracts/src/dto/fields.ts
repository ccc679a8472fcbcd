/**
 * Field rules shared by several request bodies: one validation and one OpenAPI description
 * per kind of field, so the same field reads and checks the same everywhere.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { MAX_DESCRIPTION_LENGTH } from '../commands/ledger';
import { CURRENCY_PATTERN, DEFAULT_CURRENCY } from '../money';
import { TEXT_RULE, textSchema } from '../values/text';
import { TIME_RULE } from '../values/time';
import { IsAmount, IsText, IsTime, IsUserId } from './validators';

export { MAX_DESCRIPTION_LENGTH };

export function UserIdField(description = 'the user (an opaque id)'): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description:
        `${description}: a string of 1-64 characters of [A-Za-z0-9_.:-], or a non-negative integer, ` +
        'read exactly even above 2^53 (Discord snowflakes). Responses give it as a string.',
      oneOf: [
        { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
        { type: 'integer', minimum: 0 },
      ],
      example: 169015299834642432n.toString(),
    }),
    IsUserId(),
  );
}

export function AmountField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description:
        "positive integer in the currency's smallest unit, at most 10^18: a JSON number or a string of digits",
      oneOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^[1-9][0-9]{0,18}$' },
      ],
      example: 15,
    }),
    IsAmount(),
  );
}

export function CurrencyField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `currency code; defaults to the realm's default currency (${DEFAULT_CURRENCY})`,
      pattern: CURRENCY_PATTERN.source,
      default: DEFAULT_CURRENCY,
      example: DEFAULT_CURRENCY,
    }),
    IsOptional(),
    Matches(CURRENCY_PATTERN, { message: 'currency must be 1-32 characters of [a-z0-9_], starting with a letter' }),
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
