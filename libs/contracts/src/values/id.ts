/**
 * Identifiers that travel in commands and land in events and read models: app ids, key ids, key
 * hashes (hex SHA-256), achievement keys. Plain tokens, so they need no escaping in a stream
 * name, a NATS subject, a log line or a URL.
 */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** A positive integer a JSON number holds exactly: finance event and transaction ids. */
export function isPositiveId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
