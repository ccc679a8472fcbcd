/**
 * class-validator decorators for the exact types of the public API. They check with the value
 * functions the services' decide() relies on (../values), so "valid at the gateway" and "valid
 * in the service" can never drift apart, and say what is wrong with the values' messages.
 */
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';
import { amountMessage, parseAmount } from '../values/amount';
import { isPositiveId, positiveIdMessage } from '../values/positive-id';
import { isText, textMessage } from '../values/text';
import { parseTime, TIME_RULE } from '../values/time';
import { parseUserId, userIdMessage } from '../values/user-id';

/** A user id (values/user-id.ts): a string, or an integer read exactly at any size. */
export function IsUserId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUserId',
      validator: {
        validate: (value) => parseUserId(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}${userIdMessage('$property')}`,
          options,
        ),
      },
    },
    options,
  );
}

/** An amount (values/amount.ts): a positive integer (JSON number or digit string) of at most 10^18. */
export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAmount',
      validator: {
        validate: (value) => parseAmount(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}${amountMessage('$property')}`,
          options,
        ),
      },
    },
    options,
  );
}

/** A finance event's or transaction's id (values/positive-id.ts). */
export function IsPositiveId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveId',
      validator: {
        validate: (value) => isPositiveId(value),
        defaultMessage: buildMessage((each) => `${each}${positiveIdMessage('$property')}`, options),
      },
    },
    options,
  );
}

/**
 * Free text of at most `maxLength` characters (values/text.ts): the one rule for every name,
 * description and label. With `nullable`, null passes too (leave it to IsOptional otherwise).
 */
export function IsText(maxLength: number, options?: ValidationOptions & { nullable?: boolean }): PropertyDecorator {
  const nullable = options?.nullable ?? false;
  return ValidateBy(
    {
      name: 'isText',
      constraints: [maxLength],
      validator: {
        validate: (value) => (nullable && value === null) || isText(value, maxLength),
        defaultMessage: buildMessage((each) => `${each}${textMessage('$property', maxLength, { nullable })}`, options),
      },
    },
    options,
  );
}

/** A time in a request (values/time.ts): RFC 3339 date-time or full-date, nothing else. */
export function IsTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTime',
      validator: {
        validate: (value) => parseTime(value) !== null,
        defaultMessage: buildMessage((each) => `${each}$property must be ${TIME_RULE}`, options),
      },
    },
    options,
  );
}
