/**
 * class-validator decorators for the exact types of the public API. They check with the same
 * parsers the ledger relies on (money.ts), so "valid at the gateway" and "valid in the ledger"
 * can never drift apart.
 */
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';
import { parseAmount, parseUserId } from '../money';
import { isPositiveId } from '../values/id';
import { isText, textMessage } from '../values/text';
import { parseTime, TIME_RULE } from '../values/time';

/** Largest id a JSON number holds exactly: event and transaction ids stay below it. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * A user id: a string of 1-64 characters of [A-Za-z0-9_.:-], or a non-negative integer (which
 * the gateway's lossless JSON parser hands over as a digit string when it is above 2^53).
 */
export function IsUserId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUserId',
      validator: {
        validate: (value) => parseUserId(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a string of 1-64 characters of [A-Za-z0-9_.:-] or a non-negative integer`,
          options,
        ),
      },
    },
    options,
  );
}

/** An amount: a positive integer (JSON number or digit string) of at most 10^18. */
export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAmount',
      validator: {
        validate: (value) => parseAmount(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a positive integer of at most 10^18 (a JSON number or a string of digits)`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsPositiveId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveId',
      validator: {
        validate: (value) => isPositiveId(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a positive integer below 2^53`, options),
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
