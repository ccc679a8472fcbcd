/**
 * The shape of JSON we take in (API.md, "Conventions"): nested at most 32 levels. Deeper
 * structures serve no request of ours, and every recursive reader of a body (the JSON parser,
 * the validator, the canonical request hash) spends stack and time in proportion to its depth.
 */
import { textProblem } from './text';

export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found in one pass over the
 * text before it is parsed (no recursion, no allocation): brackets inside strings do not count.
 * Text that is not JSON at all is left to the parser, which refuses it as malformed.
 */
export function jsonTextTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/**
 * Why a parsed JSON value breaks the value rules, or null: nested deeper than `maxDepth`, a
 * string or key that is not text (text.ts, any length), or a number that is not finite. Walks
 * with an explicit stack, so no input can overflow the call stack. Used to check what a
 * service's decide() produces, whatever it was given.
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return `a number that is not finite: ${current}`;
      continue;
    }
    if (typeof current === 'string') {
      if (textProblem(current, Number.MAX_SAFE_INTEGER)) return `a string that is not text: ${JSON.stringify(current.slice(0, 40))}`;
      continue;
    }
    if (typeof current !== 'object') return `a ${typeof current}, which JSON has not`;
    if (depth + 1 > maxDepth) return `nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current as Record<string, unknown>)) {
      if (textProblem(key, Number.MAX_SAFE_INTEGER)) return `a key that is not text: ${JSON.stringify(key.slice(0, 40))}`;
      if (item !== undefined) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}
