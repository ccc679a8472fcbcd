/**
 * User ids and amounts as a game holds them, turned into what the API reads exactly. Each check
 * runs before any request: a number that JavaScript has already rounded must never reach the
 * server as somebody else's id or as another amount.
 */

/** A user id: its string, a bigint (Discord snowflakes), or a number no larger than 2^53 − 1. */
export type UserIdInput = string | bigint | number;

/** An amount in the currency's smallest unit: a bigint, a safe integer, or a string of digits. */
export type AmountInput = bigint | number | string;

/** A wrong argument, refused by the SDK itself: no request was sent. */
export class InvalidArgumentError extends TypeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * The API's id characters (API.md, "Conventions"): 1–64 of [A-Za-z0-9_.:-]. Written here again
 * because a published SDK cannot load the server's contracts; contracts.spec.ts holds it equal
 * to their ID_PATTERN, so the rule still has one source.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const USER_ID = USER_ID_PATTERN;

/** Largest amount one transaction may move (the API's bound): 10^18. */
export const MAX_AMOUNT = BigInt('1000000000000000000');

const AMOUNT_DIGITS = /^[1-9][0-9]{0,18}$/;

/**
 * A user id as the API reads it exactly: its string. A bigint or a number is sent as its digits,
 * which the API takes for the same user as the JSON integer (API.md: integers are read into
 * their string form), so a snowflake above 2^53 arrives intact.
 */
export function encodeUserId(value: UserIdInput, field = 'user_id'): string {
  let text: string;
  if (typeof value === 'bigint') {
    if (value < BigInt(0)) throw new InvalidArgumentError(field, 'must not be negative');
    text = value.toString();
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(
        field,
        `must be a non-negative integer up to Number.MAX_SAFE_INTEGER when given as a number (${value} is not: ` +
          'JavaScript has already rounded it); pass a string or a bigint',
      );
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw new InvalidArgumentError(field, 'must be a string, a bigint or a safe integer');
  }
  if (!USER_ID.test(text)) throw new InvalidArgumentError(field, 'must be 1–64 characters of A-Z a-z 0-9 _ . : -');
  return text;
}

/** An amount as the API reads it exactly: its decimal string (never a float on the wire). */
export function encodeAmount(value: AmountInput, field = 'amount'): string {
  let amount: bigint;
  if (typeof value === 'bigint') {
    amount = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(
        field,
        `must be an integer up to Number.MAX_SAFE_INTEGER when given as a number (got ${value}); pass a bigint for more`,
      );
    }
    amount = BigInt(value);
  } else if (typeof value === 'string') {
    if (!AMOUNT_DIGITS.test(value)) throw new InvalidArgumentError(field, 'must be a string of digits without sign or leading zero');
    amount = BigInt(value);
  } else {
    throw new InvalidArgumentError(field, 'must be a bigint, a safe integer or a string of digits');
  }
  if (amount <= BigInt(0)) throw new InvalidArgumentError(field, `must be positive (got ${amount})`);
  if (amount > MAX_AMOUNT) throw new InvalidArgumentError(field, `must be at most 10^18 (got ${amount})`);
  return amount.toString();
}

/** A positive integer id (event_id, transaction_id). */
export function encodePositiveId(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(field, `must be a positive integer (got ${value})`);
  return value;
}

/** An achievement key: the API's id characters. */
export function encodeKey(value: string, field = 'key'): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) {
    throw new InvalidArgumentError(field, 'must be 1–64 characters of A-Z a-z 0-9 _ . : -');
  }
  return value;
}
