/**
 * The ledger's domain as a Decider (@coffer/decider), for the writer's command path.
 *
 * A thin adapter, to be removed once the domain has the Decider's shape itself (its folder is
 * being changed by another piece of work meanwhile): the domain's decide takes
 * (state, command, context) where the Decider takes (command, state, context), and its evolve
 * returns the reply of the command behind the event, which the Decider builds in reply(). Here
 * evolve keeps that reply beside the event it came from, and reply() merges those of the
 * command's events, exactly as the writer used to.
 */
import type { LedgerCommand, LedgerEvent, Refusal } from '@coffer/contracts';
import type { Decider } from '@coffer/decider';
import { decide, type DecideContext, type SystemCommand } from '../domain/decide';
import { evolve, type AppliedEvent } from '../domain/evolve';
import { LedgerState, mergeReplies } from '../domain/state';

export type LedgerDecider = Decider<LedgerCommand | SystemCommand, AppliedEvent, LedgerState, DecideContext, unknown>;

/** `idempotencyRetentionMs`: the window of keyed commands whose events do not say theirs (written before they did). */
export function ledgerDecider(idempotencyRetentionMs: number): LedgerDecider {
  /** The reply each event folded on the live path gave (dropped with the event). */
  const replies = new WeakMap<AppliedEvent, unknown>();
  return {
    initialState: () => new LedgerState(idempotencyRetentionMs),
    decide: (command, state, context) => decide(state, command, context),
    evolve: (state, event) => {
      replies.set(event, evolve(state, event));
      return state;
    },
    reply: (_command, events) => events.reduce<unknown>((merged, event) => mergeReplies(merged, replies.get(event)), undefined),
    replay: (_command, remembered) => remembered.reply,
    refused: (refused: Refusal): LedgerEvent => {
      const data = { code: refused.code, message: refused.message };
      return { type: 'CommandRefused', data: refused.details ? { ...data, details: refused.details } : data };
    },
  };
}
