/**
 * Content no adapter stores: U+0000 or a lone surrogate in an event's stream name, type, or any
 * string or key of its data or metadata. PostgreSQL's jsonb cannot hold them (node-pg even turns
 * a lone surrogate in a text parameter into U+FFFD without a word); EventStoreDB would, but the
 * read models (PostgreSQL again) and many readers of the feed cannot, so an event carrying one
 * would stop them on it. Both adapters refuse it with ContentRefusedError: one behaviour, one
 * contract.
 */
import { jsonValueProblem } from '@coffer/contracts';
import { ContentRefusedError } from './errors';
import type { NewEvent } from './port';

/** U+0000, or (with the u flag) a surrogate left unpaired. */
const UNSTORABLE = /\u0000|\p{Cs}/u;
const UNSTORABLE_NAME = 'a stream name or event type holds U+0000 or a lone surrogate';

/**
 * Why the stream name or an event type cannot be stored, or null: what PostgreSQL's own checks of
 * data and metadata (jsonb) do not cover. One test per event: cheap enough for every append.
 */
export function unstorableNames(stream: string, events: readonly NewEvent[]): string | null {
  if (UNSTORABLE.test(stream)) return UNSTORABLE_NAME;
  for (const event of events) if (UNSTORABLE.test(event.type)) return UNSTORABLE_NAME;
  return null;
}

/** Why these events cannot be stored, or null. Walks with an explicit stack: any depth is safe. */
export function unstorableContent(stream: string, events: readonly NewEvent[]): string | null {
  const names = unstorableNames(stream, events);
  if (names) return names;
  const stack: unknown[] = [];
  for (const event of events) stack.push(event.data, event.metadata);
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return 'a string holds U+0000 or a lone surrogate';
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) stack.push(key, item);
    }
  }
  return null;
}

/**
 * Whether these events break a rule of what may be stored: unstorableContent, or the value rules
 * every decided value follows (libs/contracts, values/: text, depth, finite numbers). A writer
 * whose append was refused for its content asks this before it blames a command: a refusal of
 * events that break no rule is the store's own fault (say, a database limit it ran into), and
 * the command must then be answered 503, never 400, and nothing recorded of it.
 */
export function breaksContentRules(stream: string, events: readonly NewEvent[]): boolean {
  if (unstorableContent(stream, events) !== null) return true;
  return events.some((event) => jsonValueProblem(event.data) !== null || jsonValueProblem(event.metadata) !== null);
}

/**
 * The store's refusal of an append, when it is the appended events' fault (a command decided
 * what no store can hold: the writer isolates that command), else null (the store's own fault,
 * or another failure: the writer answers 503 and rebuilds or retries).
 */
export function poisonedBy(error: unknown, stream: string, events: readonly NewEvent[]): ContentRefusedError | null {
  return error instanceof ContentRefusedError && breaksContentRules(stream, events) ? error : null;
}
