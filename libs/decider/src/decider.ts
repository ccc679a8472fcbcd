/**
 * The shape every writer's domain has (the ledger's, the achievements'), and the one path a
 * command takes through it inside a writer's batch: decided on the state, its events folded in,
 * its answer built, and (with an Idempotency-Key) its refusal recorded as an event.
 *
 *   decide(command, state, context) → events, a refusal, or (a command seen before) its first answer
 *   evolve(state, event)            → state (the only way the state changes; no replies, no I/O)
 *   reply(command, events, after)   → the answer, from the command, its events and the state after them
 *   replay(command, remembered, s)  → the first answer again, from what the state remembered of it
 */
import { refusal as refusalOf, type CommandReply, type Refusal, type Reply } from '@coffer/contracts';
import type { RememberedCommand } from './command-memory';

export type Decision<Event, Remembered = unknown> =
  | { kind: 'events'; events: Event[] }
  | { kind: 'replay'; decided: RememberedCommand<Remembered> }
  | { kind: 'refused'; refusal: Refusal };

export interface Decider<Command, Event, State, Context, Answer = unknown, Remembered = unknown> {
  initialState(): State;
  /** Pure: time and ids come in with the context or from the state, so the same inputs always give the same decision. */
  decide(command: Command, state: State, context: Context): Decision<Event, Remembered>;
  /** Folds one event into the state (in place where copying would cost more than deciding) and returns it. */
  evolve(state: State, event: Event): State;
  /** What a command decided now answers. Called once its events are folded: `stateAfter` includes them. */
  reply(command: Command, events: readonly Event[], stateAfter: State): Answer;
  /** What a command decided before answers again (its record in the state's command memory). */
  replay(command: Command, remembered: RememberedCommand<Remembered>, state: State): Answer;
  /** The event recording a refusal (its command's id and request hash go in the metadata). */
  refused(refusal: Refusal): Event;
}

/** Refusals that say who may not ask, not what the answer to the request is. */
const CALLER_REFUSALS: ReadonlySet<Refusal['code']> = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Whether a refusal is recorded (as the decider's refused() event), so that a retry with the
 * same Idempotency-Key and body gets the same refusal again, also after a restart and even if the
 * state has changed since: API.md's "returns the first response again". Only for a command with
 * a key (one without is never asked again); never a reused key's refusal (the key belongs to the
 * first request), a refusal of the caller (the same request from a live key of the app must
 * still be decided), nor a 503 (nothing was decided: a retry must be decided).
 */
export function recordsRefusal(refused: Pick<Refusal, 'code'>, requestHash: string | null): boolean {
  return (
    requestHash !== null &&
    requestHash !== '' &&
    refused.code !== 'IDEMPOTENCY_KEY_REUSED' &&
    refused.code !== 'UNAVAILABLE' &&
    !CALLER_REFUSALS.has(refused.code)
  );
}

/**
 * Whether a refusal goes on the record at all: every refusal decide came to does (the audit
 * trail, GET /admin/audit: "who was refused what, when"), with or without a key, of the caller
 * too; only a 503 does not, since nothing was decided. Whether the record also answers a retry
 * is recordsRefusal's question, asked again by each evolve (remembersRefusal), so the command
 * memory is exactly what it was before refusals without a key were recorded.
 *
 * What bounds the records a hostile caller can cause: every command reaches a writer only
 * through the gateway, signed, after its authentication and per-app rate limit
 * (COFFER_RATE_LIMIT_PER_SECOND): at most one record per request admitted, each of bounded size
 * (a code, a message, bounded details). Malformed requests are refused at the gateway, before any
 * writer, and leave no record.
 */
export function auditsRefusal(refused: Pick<Refusal, 'code'>): boolean {
  return refused.code !== 'UNAVAILABLE';
}

/** Whether a recorded refusal is one a retry with the same key gets again (see recordsRefusal): what evolve remembers. */
export function remembersRefusal(refused: Pick<Refusal, 'code'>, metadata: { request_hash?: string | null } | undefined): boolean {
  return recordsRefusal(refused, metadata?.request_hash ?? null);
}

/** What one command decided in a batch comes to: the events to append, and its answer once they are durable. */
export interface Decided<Event, Answer> {
  events: Event[];
  /** `position`: the global position of the batch's last event ('' when the batch appended nothing). */
  answer(position: string): Reply<CommandReply<Answer>>;
}

/**
 * Decides one command on `state` and folds its events in (so the next command of the batch sees
 * them). `stamp` gives each event what the writer stores with it (its metadata), before it is
 * folded: the command memory reads the command's id and times from there. A refusal is recorded
 * (auditsRefusal), and remembered for retries when its command had a key (recordsRefusal); a replay answers where the first answer's events
 * landed (or, decided earlier in this batch, where the batch lands). `decision`: given instead
 * of decided when the writer has refused the command itself (the store could not hold its events).
 */
export function decideCommand<Command, Event, State, Context extends { request_hash: string | null }, Answer, Remembered>(
  decider: Decider<Command, Event, State, Context, Answer, Remembered>,
  command: Command,
  state: State,
  context: Context,
  stamp: (event: Event) => Event,
  decision: Decision<Event, Remembered> = decider.decide(command, state, context),
): Decided<Event, Answer> {
  switch (decision.kind) {
    case 'refused': {
      const refused = decision.refusal;
      if (!auditsRefusal(refused)) return { events: [], answer: () => refused };
      const record = stamp(decider.refused(refused));
      decider.evolve(state, record);
      return { events: [record], answer: () => refused };
    }
    case 'replay': {
      const { decided } = decision;
      if (decided.refusal) {
        const again = decided.refusal;
        return { events: [], answer: () => again };
      }
      const result = decider.replay(command, decided, state);
      // Read when answering: an original decided earlier in this batch gets its position only once appended.
      return { events: [], answer: (position) => ({ ok: true, result: { result, position: decided.position || position, replayed: true } }) };
    }
    case 'events': {
      const events = decision.events.map(stamp);
      for (const event of events) decider.evolve(state, event);
      const result = decider.reply(command, events, state);
      const wrote = events.length > 0;
      return { events, answer: (position) => ({ ok: true, result: { result, position: wrote ? position : '', replayed: false } }) };
    }
  }
}

/** The refusal a recorded refusal event carries, as its command answered it. */
export function refusalIn(data: { code: Refusal['code']; message: string; details?: Record<string, unknown> }): Refusal {
  return refusalOf(data.code, data.message, data.details);
}

/**
 * Invariant broken: the stream or the code is wrong, and deciding on would compound it (for
 * money: corrupt it). `context` names whose invariant ("ledger", "achievements").
 */
export function assertInvariant(context: string, condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`${context} invariant violated: ${message}`);
}
