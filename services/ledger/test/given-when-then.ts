/**
 * Emmett-style given/when/then for the pure ledger domain:
 *
 *   given(appRegistered('app_1'), granted(1, 'alice', 100))
 *     .when({ type: 'Transfer', data: { ... } })   // decide() with a fixed default context
 *   → expectEvents(decision, [...]) / expectRefusal(decision, 'INSUFFICIENT_FUNDS')
 *
 * `given` evolves the events into a fresh LedgerState (the same code the writer replays with),
 * so a scenario's history is exactly what the store would hold. The event builders below make
 * valid events; transaction ids are explicit so that scenarios can name them.
 */
import { randomUUID } from 'node:crypto';
import { userIdOfAccount } from '@coffer/contracts';
import type { AbortEvent, ErrorCode, Grant, LedgerCommand, LedgerEvent, PostTransaction, TransactionData, TransactionType, Transfer, ReverseTransaction } from '@coffer/contracts';
import { houseAccount, TREASURY, userAccount } from '../src/domain/accounts';
import { decide, type DecideContext, type Decision, type SystemCommand } from '../src/domain/decide';
import type { CommandMetadata } from '@coffer/decider';
import { describeDecision, eventsOf, iso, NOW, refusalOf } from '@coffer/testing';
import { evolve, type AppliedEvent } from '../src/domain/evolve';
import { replay, type LedgerAnswer } from '../src/domain/replies';
import { restore, snapshotLines, type SnapshotHead } from '../src/domain/snapshot';
import { LedgerState } from '../src/domain/state';

export { at, eventsOf, expectEvents, iso, NOW, SNOWFLAKE } from '@coffer/testing';

export const TIMEOUT_SECONDS = 60;
export const COINS = 'coins';

/** The API key every scenario's app calls with unless a test says otherwise (see appWithKey). */
export const keyOf = (app_id: string): string => `key_${app_id}`;

export function defaultContext(overrides: Partial<DecideContext> = {}): DecideContext {
  const app_id = overrides.app_id === undefined ? 'app_1' : overrides.app_id;
  return {
    now: NOW,
    eventTimeoutSeconds: TIMEOUT_SECONDS,
    sender: 'gateway',
    app_id,
    key_id: app_id === null ? null : keyOf(app_id),
    command_id: randomUUID(),
    request_hash: null,
    ...overrides,
  };
}

/** A LedgerState built from a history, which can be asked to decide a command. */
export class GivenState extends LedgerState {
  when(command: LedgerCommand | SystemCommand, context: Partial<DecideContext> = {}): Decision {
    return when(this, command, context);
  }
}

/** Given these events happened (in order; lists, as closing() gives, are spread)… */
export function given(...history: Array<AppliedEvent | AppliedEvent[]>): GivenState {
  const state = new GivenState();
  for (const event of history.flat()) evolve(state, event);
  return state;
}

/** The state a restart from its snapshot gets: written as lines, as the writer does, and read back. */
export function restarted(state: LedgerState, idempotencyRetentionMs?: number): LedgerState {
  const [head, ...pages] = [...snapshotLines(state)];
  return restore(JSON.parse(head) as SnapshotHead, pages, idempotencyRetentionMs);
}

/** …when this command arrives (default context: NOW, 60 s timeout, app_1 through the gateway with key_app_1, no Idempotency-Key). */
export function when(
  state: LedgerState,
  command: LedgerCommand | SystemCommand,
  context: Partial<DecideContext> = {},
): Decision {
  return decide(command, state, defaultContext(context));
}

/** Evolves a decision's events into the state, linked to the command as the writer does. */
export function apply(state: LedgerState, decision: Decision, context: Partial<DecideContext> = {}): LedgerEvent[] {
  const events = eventsOf(decision);
  for (const event of events) evolve(state, withMetadata(event, context.command_id ?? null, context.request_hash ?? null));
  return events;
}

// ---- then --------------------------------------------------------------------------------------

/** The decision refused the command with this code (and, when given, these details). */
export function expectRefusal(decision: Decision, code: ErrorCode, details?: Record<string, unknown>): void {
  const refusal = refusalOf(decision, code);
  if (details) expect(refusal.details).toEqual(details);
}

/** What a replay answers (the Decider's replay): the first answer again, from what the command's memory kept. */
export function replayed(state: LedgerState, command: LedgerCommand | SystemCommand, decision: Decision): LedgerAnswer {
  if (decision.kind !== 'replay') throw new Error(`expected a replay, got ${describeDecision(decision)}`);
  return replay(command, decision.decided, state);
}

// ---- event builders ----------------------------------------------------------------------------

/**
 * The event as caused by a command. Without `times` it is an event as written before the writer
 * stamped decision times and deadlines (its time is then the one in its data).
 */
export function withMetadata(
  event: LedgerEvent,
  command_id: string | null,
  request_hash: string | null,
  times: Pick<CommandMetadata, 'decided_at_epoch_ms' | 'deadline_epoch_ms' | 'remembered_until_epoch_ms'> = {},
): AppliedEvent {
  return { ...event, metadata: { command_id, request_hash, ...times } } as AppliedEvent;
}

export function appRegistered(app_id = 'app_1', name = `App ${app_id}`, seconds = 0): LedgerEvent {
  return { type: 'AppRegistered', data: { app_id, name, registered_at: iso(seconds) } };
}

/** An app with the key scenarios call with by default (keyOf): registered, then its key issued. */
export function appWithKey(app_id = 'app_1', seconds = 0): LedgerEvent[] {
  return [appRegistered(app_id, `App ${app_id}`, seconds), apiKeyIssued(app_id, keyOf(app_id), seconds)];
}

export function apiKeyIssued(app_id: string, key_id: string, seconds = 0): LedgerEvent {
  return { type: 'ApiKeyIssued', data: { app_id, key_id, key_hash: `hash-of-${key_id}`, issued_at: iso(seconds) } };
}

export function apiKeyRevoked(app_id: string, key_id: string, seconds = 0): LedgerEvent {
  return { type: 'ApiKeyRevoked', data: { app_id, key_id, revoked_at: iso(seconds) } };
}

/** An event opened at NOW + `seconds`, expiring TIMEOUT_SECONDS later. */
export function eventOpened(event_id: number, app_id = 'app_1', seconds = 0, description: string | null = null): LedgerEvent {
  return {
    type: 'EventOpened',
    data: { event_id, app_id, description, opened_at: iso(seconds), expires_at: iso(seconds + TIMEOUT_SECONDS) },
  };
}

export function pinged(event_id: number, seconds: number): LedgerEvent {
  return { type: 'Pinged', data: { event_id, pinged_at: iso(seconds), expires_at: iso(seconds + TIMEOUT_SECONDS) } };
}

/** The event closed: alone, it posts whatever is still pending (closing() writes it as decide does). */
export function eventClosed(event_id: number, seconds = 0): LedgerEvent {
  return { type: 'EventClosed', data: { event_id, closed_at: iso(seconds) } };
}

/** The event expired: alone, it voids whatever is still pending (see expiring()). */
export function eventExpired(event_id: number, seconds = TIMEOUT_SECONDS): LedgerEvent {
  return { type: 'EventExpired', data: { event_id, expired_at: iso(seconds) } };
}

/** The event was aborted by its app: alone, it voids whatever is still pending (see aborting()). */
export function eventAborted(event_id: number, seconds = 0): LedgerEvent {
  return { type: 'EventAborted', data: { event_id, aborted_at: iso(seconds) } };
}

/** The data of a TransactionPending event (for the events that settle it). */
function pendingDataOf(event: LedgerEvent): TransactionData {
  if (event.type !== 'TransactionPending') throw new Error(`expected a TransactionPending, got ${event.type}`);
  return event.data;
}

/** A pending transaction posted when its event closed at NOW + `seconds`. */
export function postedAtClose(pendingEvent: LedgerEvent, seconds = 0): LedgerEvent {
  return { type: 'TransactionPosted', data: { ...pendingDataOf(pendingEvent), posted_at: iso(seconds) } };
}

/** A pending transaction voided when its event expired at NOW + `seconds`. */
export function voidedAtExpiry(pendingEvent: LedgerEvent, seconds = TIMEOUT_SECONDS): LedgerEvent {
  return { type: 'TransactionVoided', data: { ...pendingDataOf(pendingEvent), voided_at: iso(seconds), reason: 'expired' } };
}

/** A pending transaction voided when its app aborted its event at NOW + `seconds`. */
export function voidedAtAbort(pendingEvent: LedgerEvent, seconds = 0): LedgerEvent {
  return { type: 'TransactionVoided', data: { ...pendingDataOf(pendingEvent), voided_at: iso(seconds), reason: 'aborted' } };
}

/** What an abort appends: a TransactionVoided per pending transaction, then EventAborted. */
export function aborting(event_id: number, pendings: LedgerEvent[], seconds = 0): LedgerEvent[] {
  return [...pendings.map((event) => voidedAtAbort(event, seconds)), eventAborted(event_id, seconds)];
}

/**
 * A reversal of `original` (a TransactionPosted): `amount` moved back from its credit account to
 * its debit account, posted at NOW + `seconds`, as decide makes it.
 */
export function reversed(transaction_id: number, original: LedgerEvent, amount: bigint | number | string, { description = null, seconds = 0 }: Pick<TransactionOptions, 'description' | 'seconds'> = {}): LedgerEvent {
  if (original.type !== 'TransactionPosted') throw new Error(`expected a TransactionPosted, got ${original.type}`);
  const o = original.data;
  const debitUser = userIdOfAccount(o.credit_account);
  return {
    type: 'TransactionPosted',
    data: {
      transaction_id,
      event_id: null,
      app_id: o.app_id,
      type: 'reversal',
      user_id: debitUser ?? (userIdOfAccount(o.debit_account) as string),
      debit_account: o.credit_account,
      credit_account: o.debit_account,
      amount: amount.toString(),
      currency: o.currency,
      description,
      reverses_transaction_id: o.transaction_id,
      created_at: iso(seconds),
      posted_at: iso(seconds),
    },
  };
}

/** What closing an event appends: a TransactionPosted per pending transaction (`pendings`, in order), then EventClosed. */
export function closing(event_id: number, pendings: LedgerEvent[], seconds = 0): LedgerEvent[] {
  return [...pendings.map((event) => postedAtClose(event, seconds)), eventClosed(event_id, seconds)];
}

/** What an expiry appends: a TransactionVoided per pending transaction, then EventExpired. */
export function expiring(event_id: number, pendings: LedgerEvent[], seconds = TIMEOUT_SECONDS): LedgerEvent[] {
  return [...pendings.map((event) => voidedAtExpiry(event, seconds)), eventExpired(event_id, seconds)];
}

interface TransactionOptions {
  app_id?: string;
  currency?: string;
  description?: string | null;
  seconds?: number;
}

/** The data of an app's credit (house → user) or debit (user → house). */
export function transactionData(
  transaction_id: number,
  type: Extract<TransactionType, 'credit' | 'debit'>,
  user_id: string,
  amount: bigint | number | string,
  event_id: number | null,
  { app_id = 'app_1', currency = COINS, description = null, seconds = 0 }: TransactionOptions = {},
): TransactionData {
  return {
    transaction_id,
    event_id,
    app_id,
    type,
    user_id,
    debit_account: type === 'credit' ? houseAccount(app_id) : userAccount(user_id),
    credit_account: type === 'credit' ? userAccount(user_id) : houseAccount(app_id),
    amount: amount.toString(),
    currency,
    description,
    reverses_transaction_id: null,
    created_at: iso(seconds),
  };
}

/** A credit or debit inside an open event. */
export function pending(
  transaction_id: number,
  event_id: number,
  type: 'credit' | 'debit',
  user_id: string,
  amount: bigint | number | string,
  options?: TransactionOptions,
): LedgerEvent {
  return { type: 'TransactionPending', data: transactionData(transaction_id, type, user_id, amount, event_id, options) };
}

/** A credit or debit posted at once (no event). */
export function posted(
  transaction_id: number,
  type: 'credit' | 'debit',
  user_id: string,
  amount: bigint | number | string,
  options?: TransactionOptions,
): LedgerEvent {
  const data = transactionData(transaction_id, type, user_id, amount, null, options);
  return { type: 'TransactionPosted', data: { ...data, posted_at: data.created_at } };
}

/** The admin granted `amount` from the treasury to a user. */
export function granted(
  transaction_id: number,
  user_id: string,
  amount: bigint | number | string,
  { currency = COINS, description = null, seconds = 0 }: Omit<TransactionOptions, 'app_id'> = {},
): LedgerEvent {
  return {
    type: 'TransactionPosted',
    data: {
      transaction_id,
      event_id: null,
      app_id: null,
      type: 'grant',
      user_id,
      debit_account: TREASURY,
      credit_account: userAccount(user_id),
      amount: amount.toString(),
      currency,
      description,
      reverses_transaction_id: null,
      created_at: iso(seconds),
      posted_at: iso(seconds),
    },
  };
}

/** A user-to-user transfer made through an app. */
export function transferred(
  transaction_id: number,
  from: string,
  to: string,
  amount: bigint | number | string,
  { app_id = 'app_1', currency = COINS, description = null, seconds = 0 }: TransactionOptions = {},
): LedgerEvent {
  return {
    type: 'TransactionPosted',
    data: {
      transaction_id,
      event_id: null,
      app_id,
      type: 'transfer',
      user_id: from,
      debit_account: userAccount(from),
      credit_account: userAccount(to),
      amount: amount.toString(),
      currency,
      description,
      reverses_transaction_id: null,
      created_at: iso(seconds),
      posted_at: iso(seconds),
    },
  };
}

// ---- command builders (the shapes the gateway sends) -----------------------------------------

export const credit = (
  user_id: string,
  amount: string,
  event_id: number | null = null,
  currency = COINS,
): PostTransaction => ({ type: 'PostTransaction', data: { user_id, event_id, type: 'credit', amount, currency, description: null } });

export const debit = (
  user_id: string,
  amount: string,
  event_id: number | null = null,
  currency = COINS,
): PostTransaction => ({ type: 'PostTransaction', data: { user_id, event_id, type: 'debit', amount, currency, description: null } });

export const transfer = (from_user_id: string, to_user_id: string, amount: string, currency = COINS): Transfer => ({
  type: 'Transfer',
  data: { from_user_id, to_user_id, amount, currency, description: null },
});

export const grant = (user_id: string, amount: string, currency = COINS): Grant => ({
  type: 'Grant',
  data: { user_id, amount, currency, description: null },
});

export const abort = (event_id: number): AbortEvent => ({ type: 'AbortEvent', data: { event_id } });

export const reverse = (transaction_id: number, amount: string | null = null, description: string | null = null): ReverseTransaction => ({
  type: 'ReverseTransaction',
  data: { transaction_id, amount, description },
});

/** Context of an admin command (no calling app). */
export const ADMIN: Partial<DecideContext> = { app_id: null };

/** Context of a command the ledger gives itself (expiry sweeps, a new term). */
export const SYSTEM: Partial<DecideContext> = { sender: 'ledger', app_id: null, key_id: null };

/** Context of a reward the achievements service pays for an app's achievement. */
export const REWARD = (app_id = 'app_1'): Partial<DecideContext> => ({ sender: 'achievements', app_id, key_id: null });
