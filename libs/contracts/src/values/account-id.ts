/**
 * AccountId: a ledger account. Users hold wallets (`user:<user_id>`) that may never go
 * negative; each app has a house account (`house:<app_id>`) and the realm a treasury: issuers,
 * which may. `external` is the world outside the books (banks, shops, prize desks): what a
 * withdrawal pays out to and a deposit comes in from; it may go negative as an issuer does, and
 * keeps every currency summing to zero. Accounts appear in events and read models, never in the
 * HTTP API.
 */
import { tokenSource, type Id } from './id';
import type { UserId } from './user-id';

export type AccountId = `user:${UserId}` | `house:${Id}` | 'treasury' | 'external';

/** What every wallet's account name starts with (a read model may filter on it: `LIKE 'user:%'`). */
export const USER_ACCOUNT_PREFIX = 'user:';
const HOUSE_ACCOUNT_PREFIX = 'house:';
export const TREASURY = 'treasury';
/** Money paid out by accepted withdrawals and in by accepted deposits (one account for all of them). */
export const EXTERNAL = 'external';

export const userAccount = (userId: UserId): AccountId => `${USER_ACCOUNT_PREFIX}${userId}` as AccountId;
export const houseAccount = (appId: Id): AccountId => `${HOUSE_ACCOUNT_PREFIX}${appId}` as AccountId;
export const isUserAccount = (account: string): boolean => account.startsWith(USER_ACCOUNT_PREFIX);

/** The user whose wallet `account` is, or null when it is a house account or the treasury. */
export function userIdOfAccount(account: string): UserId | null {
  return isUserAccount(account) ? account.slice(USER_ACCOUNT_PREFIX.length) : null;
}

export const ACCOUNT_ID_PATTERN = new RegExp(
  `^(?:${USER_ACCOUNT_PREFIX}${tokenSource()}|${HOUSE_ACCOUNT_PREFIX}${tokenSource()}|${TREASURY}|${EXTERNAL})$`,
);

export function isAccountId(value: unknown): value is AccountId {
  return typeof value === 'string' && ACCOUNT_ID_PATTERN.test(value);
}

export const ACCOUNT_ID_RULE = `${USER_ACCOUNT_PREFIX}<user_id>, ${HOUSE_ACCOUNT_PREFIX}<app_id>, ${TREASURY} or ${EXTERNAL}`;

export function accountIdMessage(field: string): string {
  return `${field} must be ${ACCOUNT_ID_RULE}`;
}

export const ACCOUNT_ID_SCHEMA = { type: 'string', pattern: ACCOUNT_ID_PATTERN.source, description: ACCOUNT_ID_RULE } as const;
