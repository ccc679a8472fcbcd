/**
 * Id: the one token rule of Coffer. App ids, key ids, key hashes (hex SHA-256), achievement
 * keys, user ids (as strings) and the parts of cursors are all tokens of these characters, so
 * they need no escaping in a stream name, a NATS subject, a log line, a CSV cell or a URL.
 * Every other value that is a token (user-id.ts, achievement-key.ts, cursor.ts,
 * correlation-id.ts) is built from this file: the character class is written here alone.
 */
export type Id = string;

/** The characters of a token, as a regular-expression class body. */
const ID_CHARACTERS = 'A-Za-z0-9_.:-';

export const MAX_ID_LENGTH = 64;

/** The unanchored source of a token of 1 to `maxLength` characters, to compose patterns from. */
export function tokenSource(maxLength = MAX_ID_LENGTH): string {
  return `[${ID_CHARACTERS}]{1,${maxLength}}`;
}

export const ID_PATTERN = new RegExp(`^${tokenSource()}$`);

/** What the rule says, for messages and the OpenAPI description. */
export const ID_RULE = `1-${MAX_ID_LENGTH} characters of [${ID_CHARACTERS}]`;

export function isId(value: unknown): value is Id {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The message for a field that breaks the rule: one wording at the gateway and in the services. */
export function idMessage(field: string): string {
  return `${field} must be ${ID_RULE}`;
}

/** The OpenAPI schema of an id (a body field or a path parameter). */
export const ID_SCHEMA = { type: 'string', pattern: ID_PATTERN.source, minLength: 1, maxLength: MAX_ID_LENGTH } as const;
