/**
 * UserId: a user is an opaque id (API.md, "Conventions"). A request may give it as a JSON string
 * of id characters (id.ts) or as a non-negative JSON integer, read exactly even above 2^53
 * (Discord snowflakes: the gateway's lossless parser hands a big one over as a digit string).
 * From the gateway on, it is always its string: commands, events, read models and responses.
 */
import { ID_PATTERN, ID_RULE, ID_SCHEMA, idMessage, isId, type Id } from './id';

export type UserId = Id;

export const USER_ID_PATTERN = ID_PATTERN;

/** A user id as a request gives it (string or exact integer), in its string form; else null. */
export function parseUserId(value: unknown): UserId | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  }
  return isId(value) ? value : null;
}

/** A user id in the form commands carry: its string, nothing else. */
export function isUserId(value: unknown): value is UserId {
  return isId(value);
}

/** For a request field: a string or an integer. */
export function userIdMessage(field: string): string {
  return `${field} must be a string of ${ID_RULE} or a non-negative integer`;
}

/** For a command field: the gateway sends every user id as its string. */
export function canonicalUserIdMessage(field: string): string {
  return `${field} must be a string of ${ID_RULE}`;
}

/** For a path parameter: a snowflake in a path is just its digits, so the id rule says it all. */
export const userIdPathMessage = idMessage;

export const USER_ID_RULE =
  `a string of ${ID_RULE}, or a non-negative integer, read exactly even above 2^53 (Discord snowflakes)`;

/** The OpenAPI schema of a user id in a request body. */
export const USER_ID_SCHEMA = {
  oneOf: [
    { type: 'string' as const, pattern: ID_PATTERN.source },
    { type: 'integer' as const, minimum: 0 },
  ],
};

/** The OpenAPI schema of a user id in a path or query string. */
export const USER_ID_PATH_SCHEMA = ID_SCHEMA;

/**
 * The fields that name a user, in commands and events alike (one name from command to event):
 * what the audit trail finds a command by, from the command when it is decided and from the
 * events of a store written before commands were stamped.
 */
export const USER_ID_FIELDS = ['user_id', 'from_user_id', 'to_user_id'] as const;
