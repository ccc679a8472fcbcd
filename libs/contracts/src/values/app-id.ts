/**
 * AppId: each realm's ledger numbers its apps in the order they register, `app_1`, `app_2`, …
 * Outside the default realm the id names its realm too (`app_1_blue`): app ids stay unique
 * across realms (the achievements streams, the key registry and the read models key by them),
 * and whoever holds an app id knows which realm's ledger it belongs to without asking. The
 * default realm's ids are the plain `app_<n>` they always were. An app id is an id (id.ts) like
 * any other wherever it is only passed on; the ledger and the app list's cursor read its number.
 */
import type { Id } from './id';
import { DEFAULT_REALM } from '../subjects';

export type AppId = Id;

export const APP_ID_PATTERN = /^app_([1-9][0-9]{0,15})(?:_([a-z0-9][a-z0-9-]{0,31}))?$/;

export function appIdOf(number: number, realm: string = DEFAULT_REALM): AppId {
  return realm === DEFAULT_REALM ? `app_${number}` : `app_${number}_${realm}`;
}

/** The number in `app_<n>[_<realm>]`, or 0 for an id the ledger did not number (it sorts first). */
export function appNumberOf(appId: string): number {
  const number = APP_ID_PATTERN.exec(appId)?.[1];
  return number === undefined ? 0 : Number(number);
}

/** The realm an app belongs to, read from its id (an id the ledger did not number: the default realm). */
export function realmOfApp(appId: string): string {
  return APP_ID_PATTERN.exec(appId)?.[2] ?? DEFAULT_REALM;
}
