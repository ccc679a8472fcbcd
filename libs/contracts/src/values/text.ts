/**
 * Free text (API.md, "Conventions"): names, descriptions, labels. Well-formed Unicode (no lone
 * surrogate) with no control character but tab and newline, at most the field's length.
 *
 * Why this rule and not "any string JSON can carry": PostgreSQL's jsonb and text refuse U+0000,
 * its JSON parser refuses a lone surrogate escape, and a read model, a CSV line or a log line
 * carrying other control characters breaks whatever reads it next. Text is checked where it
 * enters (the gateway's DTOs) and again where it is decided (each service's decide), so nothing
 * that breaks a store or a reader is ever decided into an event.
 *
 * Length counts characters as code points, not UTF-16 units: an emoji is one character to the
 * person typing it, JSON Schema's maxLength (what /docs tells clients) counts code points, and
 * so do PostgreSQL's char_length and varchar(n). Counting units would let a client's own
 * length check pass and ours fail.
 */

/** A control character other than tab and newline, or (with the u flag) a surrogate left unpaired. */
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\p{Cs}/u;
const HIGH_SURROGATES = /[\ud800-\udbff]/g;

/** What the rule says, for messages and the OpenAPI description. */
export const TEXT_RULE = 'well-formed Unicode with no control characters other than tab and newline';

/**
 * The rule's character part as a JSON Schema pattern (ECMA 262, no u flag): validators of
 * generated clients can check control characters; a lone surrogate is in the description.
 */
export const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$';

/** Characters (code points) in a well-formed string. */
export function textLength(text: string): number {
  // Every surrogate of a well-formed string is half of a pair: one code point per high surrogate.
  return text.length - (text.match(HIGH_SURROGATES)?.length ?? 0);
}

/** Why `value` is not text of at most `maxLength` characters, or null when it is. */
export function textProblem(value: unknown, maxLength: number): 'type' | 'characters' | 'length' | null {
  if (typeof value !== 'string') return 'type';
  if (FORBIDDEN.test(value)) return 'characters';
  // Code points never outnumber UTF-16 units: only a long string needs counting.
  if (value.length > maxLength && textLength(value) > maxLength) return 'length';
  return null;
}

export function isText(value: unknown, maxLength: number): value is string {
  return textProblem(value, maxLength) === null;
}

/** The message for a field that breaks the rule: one wording at the gateway and in the services. */
export function textMessage(field: string, maxLength: number, { nullable = false } = {}): string {
  return `${field} must be ${nullable ? 'null or ' : ''}text of at most ${maxLength} characters (${TEXT_RULE})`;
}

/** The OpenAPI schema of a text field of at most `maxLength` characters. */
export function textSchema(maxLength: number, minLength = 0) {
  return {
    type: 'string' as const,
    maxLength,
    ...(minLength > 0 ? { minLength } : {}),
    pattern: TEXT_PATTERN,
  };
}
