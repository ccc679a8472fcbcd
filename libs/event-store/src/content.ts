/**
 * Content no adapter stores: U+0000 or a lone surrogate in any string or key of an event's data
 * or metadata. PostgreSQL's jsonb cannot hold them; EventStoreDB would, but the read models
 * (PostgreSQL again) and many readers of the feed cannot, so an event carrying one would stop
 * them on it. Both adapters refuse it with ContentRefusedError: one behaviour, one contract.
 */
import type { NewEvent } from './port';

/** U+0000, or (with the u flag) a surrogate left unpaired. */
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** Why these events cannot be stored, or null. Walks with an explicit stack: any depth is safe. */
export function unstorableContent(events: readonly NewEvent[]): string | null {
  const stack: unknown[] = [];
  for (const event of events) stack.push(event.type, event.data, event.metadata);
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
