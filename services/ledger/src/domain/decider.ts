/**
 * The ledger's domain as a Decider (@coffer/decider): what the writer runs every command through.
 * One state for the whole stream; evolve folds every event into it.
 */
import type { LedgerCommand, LedgerEvent, Refusal } from '@coffer/contracts';
import { recordsRefusal, type Decider } from '@coffer/decider';
import { decide, type DecideContext, type SystemCommand } from './decide';
import { evolve, type AppliedEvent } from './evolve';
import { replay, reply, type LedgerAnswer, type RememberedEvents } from './replies';
import { LedgerState } from './state';

export type LedgerDecider = Decider<LedgerCommand | SystemCommand, AppliedEvent, LedgerState, DecideContext, LedgerAnswer, RememberedEvents>;

/** `idempotencyRetentionMs`: the window of keyed commands whose events do not say theirs (written before they did). */
export function ledgerDecider(idempotencyRetentionMs: number): LedgerDecider {
  return {
    initialState: () => new LedgerState(idempotencyRetentionMs),
    decide,
    evolve,
    reply,
    replay,
    refused,
  };
}

/** The event recording a refusal: its retries get the same refusal, after a restart too. */
export function refused(refusal: Refusal): LedgerEvent {
  const data = { code: refusal.code, message: refusal.message };
  return { type: 'CommandRefused', data: refusal.details ? { ...data, details: refusal.details } : data };
}

/** The event the writer records for a refusal (see recordsRefusal), or null for one it does not record. */
export function recordedRefusal(refusal: Refusal, context: Pick<DecideContext, 'request_hash'>): LedgerEvent | null {
  return recordsRefusal(refusal, context.request_hash) ? refused(refusal) : null;
}
