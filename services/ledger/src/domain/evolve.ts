/**
 * evolve(state, event): the only way the ledger's state changes, on the live path and on replay
 * alike. No I/O, no clock: everything comes from the event. It returns the state and nothing
 * else: answers are built by replies.ts from the command and its events.
 */
import { wasPending, type LedgerEvent, type TransactionData } from '@coffer/contracts';
import { assertInvariant, refusalIn, remembersRefusal, timeInDataBy, type CommandMetadata } from '@coffer/decider';
import { available, balanceKey, isUserAccount, type Balance } from './accounts';
import { applyExternal } from './evolve-external';
import { answeringEvents, transactionReply } from './replies';
import { NEW_APP_SETTINGS, settledRecord, type LedgerState } from './state';
import { applyAllowanceClaimed, applyAllowanceRemoved, applyAllowanceSet, applyAppSettings, countMint } from './evolve-economy';

/** An event as the writer applies it: its metadata links it to the command that caused it. */
export type AppliedEvent = LedgerEvent & {
  metadata?: CommandMetadata;
  streamPosition?: bigint;
  globalPosition?: bigint;
};

/** Folds one event into the state and returns it. */
export function evolve(state: LedgerState, event: AppliedEvent): LedgerState {
  apply(state, event);
  state.revision = event.streamPosition ?? state.revision + 1n;
  remember(state, event);
  return state;
}

/**
 * Remembers the command behind the event (see CommandMemory), with the events its answer is
 * built from (replies.ts), or its refusal: a command sent again gets its first answer.
 */
function remember(state: LedgerState, event: AppliedEvent): void {
  const nowMs = state.memory.advance(event.metadata, event, timeInData);
  const position = event.globalPosition?.toString();
  if (event.type === 'CommandRefused') {
    // Every decided refusal is recorded (the audit trail); a retry gets only a keyed one again.
    if (remembersRefusal(event.data, event.metadata)) state.memory.remember(event.metadata, nowMs, position, [], refusalIn(event.data));
  } else state.memory.remember(event.metadata, nowMs, position, answeringEvents(event));
}

/** The time of an event written before the metadata carried its decision time (a refusal carries none). */
const timeInData = timeInDataBy<LedgerEvent>({
  WriterTermStarted: 'started_at',
  AppRegistered: 'registered_at',
  ApiKeyIssued: 'issued_at',
  ApiKeyRevoked: 'revoked_at',
  AppSettingsChanged: 'changed_at',
  AllowanceSet: 'set_at',
  AllowanceRemoved: 'removed_at',
  AllowanceClaimed: 'claimed_at',
  EventOpened: 'opened_at',
  Pinged: 'pinged_at',
  TransactionPending: 'created_at',
  TransactionPosted: 'posted_at',
  TransactionVoided: 'voided_at',
  EventClosed: 'closed_at',
  EventExpired: 'expired_at',
  EventAborted: 'aborted_at',
  ExternalAccountLinked: 'linked_at',
  ExternalAccountUnlinked: 'unlinked_at',
  WithdrawalRequested: 'requested_at',
  WithdrawalAccepted: 'accepted_at',
  WithdrawalDeclined: 'declined_at',
  DepositRequested: 'requested_at',
  DepositReferenceRecorded: null, // written only since the metadata carries the decision time
  DepositAccepted: 'accepted_at',
  DepositDeclined: 'declined_at',
  CommandRefused: null,
});

function apply(state: LedgerState, event: AppliedEvent): void {
  switch (event.type) {
    case 'WriterTermStarted':
      state.term = event.data.term;
      return;
    case 'CommandRefused':
      return; // changes nothing but the command's record (see remember)
    case 'AppRegistered': {
      const { app_id, name, registered_at } = event.data;
      state.apps.set(app_id, { app_id, name, created_at: registered_at, keys: new Map(), settings: NEW_APP_SETTINGS, minted: new Map() });
      state.nextAppNumber++;
      return;
    }
    case 'ApiKeyIssued': {
      const { app_id, key_id, key_hash, issued_at } = event.data;
      mustExist(state.apps.get(app_id), `app ${app_id}`).keys.set(key_id, {
        key_hash,
        created_at: issued_at,
        revoked_at: null,
      });
      state.keyOwners.set(key_id, app_id);
      return;
    }
    case 'ApiKeyRevoked': {
      const { app_id, key_id, revoked_at } = event.data;
      const key = mustExist(state.apps.get(app_id)?.keys.get(key_id), `key ${key_id}`);
      key.revoked_at = revoked_at;
      return;
    }
    case 'AppSettingsChanged':
      applyAppSettings(state, event.data);
      return;
    case 'AllowanceSet':
      applyAllowanceSet(state, event.data);
      return;
    case 'AllowanceRemoved':
      applyAllowanceRemoved(state, event.data);
      return;
    case 'AllowanceClaimed':
      applyAllowanceClaimed(state, event.data);
      return;
    case 'EventOpened': {
      const { event_id, app_id, description, opened_at, expires_at } = event.data;
      assert(!state.openEvents.has(event_id) && !state.settledEvents.has(event_id), `event ${event_id} opened twice`);
      state.openEvents.set(event_id, {
        event_id,
        app_id,
        description,
        opened_at,
        last_ping_at: null,
        expires_at_ms: Date.parse(expires_at),
        pending: [],
        transactions: [],
      });
      state.nextEventId = Math.max(state.nextEventId, event_id + 1);
      return;
    }
    case 'Pinged': {
      const finance = mustExist(state.openEvents.get(event.data.event_id), `open event ${event.data.event_id}`);
      finance.last_ping_at = event.data.pinged_at;
      finance.expires_at_ms = Date.parse(event.data.expires_at);
      return;
    }
    case 'TransactionPending': {
      const data = event.data;
      const amount = BigInt(data.amount);
      balance(state, data.debit_account, data.currency).pendingDebit += amount;
      balance(state, data.credit_account, data.currency).pendingCredit += amount;
      state.pendingTransactions.set(data.transaction_id, data);
      state.nextTransactionId = Math.max(state.nextTransactionId, data.transaction_id + 1);
      countMint(state, data, 1n);
      // Outside a finance event: a withdrawal or deposit, its request keeps it (evolve-external.ts).
      if (data.event_id === null) return;
      const finance = mustExist(state.openEvents.get(data.event_id ?? -1), `open event ${data.event_id}`);
      finance.pending.push(data.transaction_id);
      // What GetEvent lists: the event's transactions as its reply shows them (status kept current).
      finance.transactions.push(transactionReply(data, 'pending'));
      return;
    }
    case 'TransactionPosted': {
      const data = event.data;
      // It was pending (inside a finance event, or a withdrawal or deposit): it posts now.
      if (wasPending(data)) {
        leavePending(state, data.transaction_id, data.event_id, 'posted');
        return;
      }
      post(state, data, BigInt(data.amount));
      state.nextTransactionId = Math.max(state.nextTransactionId, data.transaction_id + 1);
      countMint(state, data, 1n);
      return;
    }
    case 'TransactionVoided':
      leavePending(state, event.data.transaction_id, event.data.event_id, 'voided');
      return;
    case 'ExternalAccountLinked':
    case 'ExternalAccountUnlinked':
    case 'WithdrawalRequested':
    case 'WithdrawalAccepted':
    case 'WithdrawalDeclined':
    case 'DepositRequested':
    case 'DepositReferenceRecorded':
    case 'DepositAccepted':
    case 'DepositDeclined':
      applyExternal(state, event);
      return;
    case 'EventClosed': {
      // Closing posts whatever is still pending: nothing in a store whose TransactionPosted
      // events came first, everything in one written before they did (v1).
      const finance = settle(state, event.data.event_id, 'posted');
      state.settledEvents.set(finance.event_id, settledRecord(finance.app_id, 'closed'));
      return;
    }
    case 'EventExpired': {
      // Expiry voids whatever is still pending (see EventClosed).
      const finance = settle(state, event.data.event_id, 'voided');
      state.settledEvents.set(finance.event_id, settledRecord(finance.app_id, 'expired'));
      return;
    }
    case 'EventAborted': {
      // An abort is an expiry now: the TransactionVoided events before it voided what was pending.
      const finance = settle(state, event.data.event_id, 'voided');
      state.settledEvents.set(finance.event_id, settledRecord(finance.app_id, 'aborted'));
      return;
    }
  }
}

/**
 * A pending transaction posts or is voided: its amount leaves the pending sums (and, posted,
 * moves), and its open event (if it has one: a withdrawal or deposit has none) holds it pending
 * no more. Anything else is a broken stream: a transaction leaves pending exactly once.
 */
function leavePending(state: LedgerState, transactionId: number, eventId: number | null, outcome: 'posted' | 'voided'): void {
  const data = mustExist(state.pendingTransactions.get(transactionId), `pending transaction ${transactionId}`);
  assert(data.event_id === eventId, `transaction ${transactionId} is not event ${eventId}'s`);
  const finance = eventId === null ? null : mustExist(state.openEvents.get(eventId), `open event ${eventId}`);
  const amount = BigInt(data.amount);
  balance(state, data.debit_account, data.currency).pendingDebit -= amount;
  balance(state, data.credit_account, data.currency).pendingCredit -= amount;
  if (outcome === 'posted') post(state, data, amount);
  else {
    countMint(state, data, -1n); // a void gives back what its making counted (that day only)
    state.postedTransactions.voided(data);
  }
  state.pendingTransactions.delete(transactionId);
  if (finance === null) return;
  // They leave in the order they were made, so this is the first one: no scan in practice.
  const at = finance.pending.indexOf(transactionId);
  assert(at >= 0, `transaction ${transactionId} is not pending in event ${eventId}`);
  finance.pending.splice(at, 1);
  const shown = finance.transactions.find((transaction) => transaction.transaction_id === transactionId);
  if (shown) shown.status = outcome;
}

/** Ends an open event: what it still holds pending posts or is voided; takes it out of the open ones. */
function settle(state: LedgerState, eventId: number, outcome: 'posted' | 'voided') {
  const finance = state.openEvents.get(eventId);
  assert(finance !== undefined, `event ${eventId} ${state.settledEvents.has(eventId) ? 'settled twice' : 'does not exist'}`);
  for (const id of [...finance.pending]) leavePending(state, id, eventId, outcome);
  state.openEvents.delete(eventId);
  return finance;
}

function post(state: LedgerState, data: TransactionData, amount: bigint): void {
  const from = balance(state, data.debit_account, data.currency);
  from.posted -= amount;
  balance(state, data.credit_account, data.currency).posted += amount;
  // The invariant decide() guarantees: a user wallet never goes below zero.
  assert(!isUserAccount(data.debit_account) || available(from) >= 0n, `${data.debit_account} overdrawn`);
  if (data.reverses_transaction_id !== null) reverse(state, data, amount);
  state.postedTransactions.posted(data, amount);
}

/** A reversal posted: its original has that much less left to reverse (never below zero: decide() refuses more). */
function reverse(state: LedgerState, data: TransactionData, amount: bigint): void {
  const original = mustExist(state.postedTransactions.reversible.get(data.reverses_transaction_id ?? -1), `posted transaction ${data.reverses_transaction_id}`);
  assert(
    original.debit_account === data.credit_account && original.credit_account === data.debit_account && original.currency === data.currency,
    `reversal ${data.transaction_id} does not move transaction ${data.reverses_transaction_id}'s money back`,
  );
  assert(original.reversible >= amount, `transaction ${data.reverses_transaction_id} reversed beyond its amount`);
  state.postedTransactions.reversed(data.reverses_transaction_id as number, original, amount);
}

export function balance(state: LedgerState, account: string, currency: string): Balance {
  const key = balanceKey(account, currency);
  let found = state.balances.get(key);
  if (!found) {
    found = { posted: 0n, pendingDebit: 0n, pendingCredit: 0n };
    state.balances.set(key, found);
    let currencies = state.currenciesOf.get(account);
    if (!currencies) state.currenciesOf.set(account, (currencies = new Set()));
    currencies.add(currency);
  }
  return found;
}

function mustExist<T>(value: T | undefined, what: string): T {
  assert(value !== undefined, `${what} does not exist`);
  return value as T;
}

/** Invariant broken: the stream or the code is wrong, and writing on would corrupt money. */
function assert(condition: boolean, message: string): asserts condition {
  assertInvariant('ledger', condition, message);
}
