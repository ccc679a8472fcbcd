/**
 * AppId: the ledger numbers apps in the order they register, `app_1`, `app_2`, … An app id is
 * an id (id.ts) like any other wherever it is only passed on; the ledger and the app list's
 * cursor read its number to keep that order.
 */
import type { Id } from './id';

export type AppId = Id;

export const APP_ID_PATTERN = /^app_([1-9][0-9]{0,15})$/;

export function appIdOf(number: number): AppId {
  return `app_${number}`;
}

/** The number in `app_<n>`, or 0 for an id the ledger did not number (it sorts first). */
export function appNumberOf(appId: string): number {
  const number = APP_ID_PATTERN.exec(appId)?.[1];
  return number === undefined ? 0 : Number(number);
}
