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
