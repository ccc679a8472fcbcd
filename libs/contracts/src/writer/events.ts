/**
 * The writers' own events: how a writer keeps its stream and its idempotency promise. Internal:
 * never on the feed (../events/schemas.ts), read back only by the writer itself.
 */
import type { ErrorCode } from '../errors';

/**
 * A ledger writer took over the realm's stream. It is appended at the revision the writer rebuilt
 * from, so any older writer's next append fails its revision check: the stream revision is the
 * fencing token that keeps two writers from ever both writing.
 */
export interface WriterTermStarted {
  term: number;
  instance_id: string;
  started_at: string;
}

/**
 * The ledger refused a command sent with an Idempotency-Key. Recorded so that a retry with the
 * same key and body gets this refusal again, also after a restart and even if the state has
 * changed since (funds arrived): API.md's "returns the first response again". The command's id
 * and request hash are in the metadata. Refusals of commands without a key write nothing.
 */
export interface CommandRefused {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface WriterEventMap {
  WriterTermStarted: WriterTermStarted;
  CommandRefused: CommandRefused;
}

/** Internal: a writer's term (fencing) and its recorded refusals (idempotent retries). */
export const WRITER_INTERNAL_EVENT_TYPES = ['WriterTermStarted', 'CommandRefused'] as const satisfies readonly (keyof WriterEventMap)[];
