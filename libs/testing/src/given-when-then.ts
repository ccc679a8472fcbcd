/**
 * What the given/when/then specs of every writer's domain share (the ledger's, the
 * achievements'): the scenario clock, and the "then" of a decision (@coffer/decider's Decision):
 * these events, or this refusal. Each domain's own helpers add its event and command builders.
 *
 * Plain node:assert rather than Jest's expect, so that importing @coffer/testing outside a test
 * run (a harness process) costs nothing.
 */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';

/** The fixed clock of every scenario unless a test says otherwise. */
export const NOW = new Date('2025-03-01T12:00:00.000Z');

/** NOW shifted by `seconds` (may be negative). */
export const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);
export const iso = (seconds = 0): string => at(seconds).toISOString();

/** A Discord-style user id: digits beyond a double's precision, which must never pass through a number. */
export const SNOWFLAKE = '169015299834642432';

/** A decision as @coffer/decider's decide() gives it, in the shape the checks read. */
export type AnyDecision<Event> =
  | { kind: 'events'; events: Event[] }
  | { kind: 'replay'; decided: { reply: unknown; refusal?: unknown } }
  | { kind: 'refused'; refusal: { ok: false; code: string; message: string; details?: Record<string, unknown> } };

/** A decision in words, for a failed test's message. */
export function describeDecision(decision: AnyDecision<{ type: string }>): string {
  switch (decision.kind) {
    case 'events':
      return `events [${decision.events.map((event) => event.type).join(', ')}]`;
    case 'replay':
      return `replay of ${JSON.stringify(decision.decided.reply)}`;
    case 'refused':
      return `refusal ${decision.refusal.code} (${decision.refusal.message} ${JSON.stringify(decision.refusal.details)})`;
  }
}

/** The events of a decision that must have some (for assertions on their data). */
export function eventsOf<Event extends { type: string }>(decision: AnyDecision<Event>): Event[] {
  if (decision.kind !== 'events') throw new Error(`expected events, got ${describeDecision(decision)}`);
  return decision.events;
}

/** The decision recorded exactly these events (type and data, in order: what the store holds of them). */
export function expectEvents<Event extends { type: string; data: unknown }>(decision: AnyDecision<Event>, expected: readonly Event[]): void {
  const typeAndData = ({ type, data }: Event) => ({ type, data });
  deepStrictEqual(eventsOf(decision).map(typeAndData), expected.map(typeAndData));
}

/** The decision refused the command with this code: its refusal, for further checks. */
export function refusalOf<Event extends { type: string }>(decision: AnyDecision<Event>, code: string): Extract<AnyDecision<Event>, { kind: 'refused' }>['refusal'] {
  if (decision.kind !== 'refused') throw new Error(`expected refusal ${code}, got ${describeDecision(decision)}`);
  strictEqual(decision.refusal.code, code);
  strictEqual(decision.refusal.ok, false);
  strictEqual(typeof decision.refusal.message, 'string');
  return decision.refusal;
}
