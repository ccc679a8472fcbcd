/**
 * Cursors: the `next_cursor` of a list page, passed back as `cursor`. Each list's cursor is the
 * position of its last item: a transaction id, an achievement key, an app and a key, an app id.
 * A cursor is checked for its shape only; a well-formed one past the end gives an empty page.
 */
import { APP_ID_PATTERN } from './app-id';
import { tokenSource } from './id';
import { POSITIVE_ID_TEXT_PATTERN } from './positive-id';

export type Cursor = string;

/** GET /finance/transactions: the last transaction id. */
export const TRANSACTION_CURSOR_PATTERN = POSITIVE_ID_TEXT_PATTERN;
/** GET /achievements: the last key. */
export const ACHIEVEMENT_CURSOR_PATTERN = new RegExp(`^${tokenSource()}$`);
/** GET /users/:user_id/achievements: the last app id and key, `<app_id>/<key>`. */
export const USER_ACHIEVEMENT_CURSOR_PATTERN = new RegExp(`^${tokenSource()}/${tokenSource()}$`);
/** GET /admin/apps: the last app id. */
export const APP_CURSOR_PATTERN = APP_ID_PATTERN;

export const CURSOR_MESSAGE = 'cursor must be a next_cursor value';

export function cursorSchema(pattern: RegExp) {
  return { type: 'string', pattern: pattern.source, description: 'next_cursor of the previous page' } as const;
}
