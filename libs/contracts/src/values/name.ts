/**
 * Names: an app's name, an achievement's name. Text (text.ts) of 1 to the field's length with
 * at least one character that is not white space (a blank name names nothing); stored trimmed
 * where the service says so.
 */
import { isText, TEXT_RULE, textSchema } from './text';

/** Longest app name, in characters. */
export const MAX_APP_NAME_LENGTH = 100;

export type AppName = string;

export function isName(value: unknown, maxLength: number): value is string {
  return isText(value, maxLength) && /\S/.test(value);
}

export function nameMessage(field: string, maxLength: number): string {
  return `${field} must be text of 1-${maxLength} characters, not blank (${TEXT_RULE})`;
}

export function nameSchema(maxLength: number) {
  return { ...textSchema(maxLength, 1), description: `${TEXT_RULE}, not blank` };
}

export function isAppName(value: unknown): value is AppName {
  return isName(value, MAX_APP_NAME_LENGTH);
}

export const APP_NAME_MESSAGE = nameMessage('name', MAX_APP_NAME_LENGTH);
