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

/**
 * Internal (never on a public subject): the achievements service refused a command sent with an
 * Idempotency-Key. Recorded on the stream the command was decided on, so that a retry with the
 * same key and body gets this refusal again, also after a restart and even if the state has
 * changed since, as the ledger's CommandRefused does. The command's id and request hash are in
 * the metadata.
 */
export interface AchievementCommandRefused {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The ledger writer's events, on the ledger's stream. */
export interface LedgerWriterEventMap {
  WriterTermStarted: WriterTermStarted;
  CommandRefused: CommandRefused;
}

/** The achievements writer's events, on the stream of the command they refused. */
export interface AchievementWriterEventMap {
  AchievementCommandRefused: AchievementCommandRefused;
}

/** Internal: a writer's term (fencing) and its recorded refusals (idempotent retries). */
export const WRITER_INTERNAL_EVENT_TYPES = ['WriterTermStarted', 'CommandRefused', 'AchievementCommandRefused'] as const satisfies readonly (
  | keyof LedgerWriterEventMap
  | keyof AchievementWriterEventMap
)[];
