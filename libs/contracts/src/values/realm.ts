/**
 * Realm: one community (one Discord server), the unit of partitioning. Each realm has its own
 * ledger writer, stream (`ledger-<realm>`), lease and snapshots; an app belongs to one realm, and
 * so does every account its users hold. A realm id is a token of NATS subjects, stream names and
 * app ids, hence the narrow rule (no `_`: it separates an app's number from its realm).
 */
import { DEFAULT_REALM } from '../subjects';

export type RealmId = string;

export const REALM_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const REALM_MESSAGE = 'realm must be 1-32 characters of [a-z0-9-], starting with a letter or digit';

export const REALM_SCHEMA = {
  type: 'string',
  pattern: REALM_PATTERN.source,
  minLength: 1,
  maxLength: 32,
  description: `the realm (community) the app belongs to; default \`${DEFAULT_REALM}\``,
} as const;

export function isRealm(value: unknown): value is RealmId {
  return typeof value === 'string' && REALM_PATTERN.test(value);
}

/** The ledger's stream of a realm: the one place its events live. */
export function ledgerStreamOf(realm: RealmId): string {
  return `ledger-${realm}`;
}

const LEDGER_STREAM = /^ledger-([a-z0-9][a-z0-9-]{0,31})$/;

/** The realm whose ledger wrote to `stream`, or undefined for a stream of no realm (achievements, rewards). */
export function realmOfStream(stream: string): RealmId | undefined {
  return LEDGER_STREAM.exec(stream)?.[1];
}
