import type { ExpectedRevision } from './port';

/** The stream was not at the revision the writer expected: another writer got there first. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream' | 'unknown',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** An event id already stored: ids are unique across the store. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already in the store`);
  }
}

/** The adapter cannot do what was asked (for example, EventStoreDB has no multi-stream append). */
export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError';
}

/**
 * The store refused what an append carries, not the append: a value it cannot hold (U+0000 or a
 * lone surrogate in a string, a number or a size beyond its limits). The store itself is fine
 * and the same content would be refused again, so a writer refuses the command that produced it
 * and goes on; any other error of an append is a fault of the store. `reason` names the rule
 * broken, never the offending value.
 */
export class ContentRefusedError extends Error {
  override readonly name = 'ContentRefusedError';
  constructor(readonly reason: string) {
    super(`the event store refused the content of this append: ${reason}`);
  }
}
