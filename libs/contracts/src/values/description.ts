/** Description: of a finance event or a transaction; null, or text (text.ts) of at most 500 characters. */
import { isText, textMessage, textSchema } from './text';

/** Longest description, in characters. */
export const MAX_DESCRIPTION_LENGTH = 500;

export type Description = string | null;

export function isDescription(value: unknown): value is Description {
  return value === null || isText(value, MAX_DESCRIPTION_LENGTH);
}

export function descriptionMessage(field = 'description'): string {
  return textMessage(field, MAX_DESCRIPTION_LENGTH, { nullable: true });
}

export const DESCRIPTION_SCHEMA = { ...textSchema(MAX_DESCRIPTION_LENGTH), nullable: true } as const;
