/**
 * decide(command, state, context): the ledger's rules. Pure: time and ids come in with the
 * context or from the state's counters, so the same inputs always give the same events.
 */
import {
  appIdOf,
  parseAmount,
  refusal,
  type AccountId,
  type Command,
  type LedgerCommand,
  type LedgerEvent,
  type PayReward,
  type Refusal,
  type ServiceSender,
  type TransactionData,
} from '@coffer/contracts';
import { available, houseAccount, isUserAccount, TREASURY, userAccount } from './accounts';
import { assertInvariant, type Decision as DeciderDecision } from '@coffer/decider';
import type { RememberedEvents } from './replies';
import { abortEvent } from './decide-abort';
import { reverseTransaction } from './decide-reversals';
import { balanceOf } from './state';
import type { FinanceEventState, LedgerState } from './state';
import { ADMIN_EXTERNAL_COMMANDS, APP_EXTERNAL_COMMANDS, decideExternal } from './decide-external';
import { commandProblem, shapeProblem } from './validate';
import { isAdminCommand } from './app-scopes';
import { changeAppSettings, currencyRefusal, isMintedBy, mintLimitRefusal, scopeRefusal } from './decide-app-settings';
import { claimAllowance, removeAllowance, setAllowance } from './decide-allowances';

/**
 * The most transactions one finance event may hold pending. Close and expiry settle them all in
 * one append (a TransactionPosted or TransactionVoided each), and the event's state is in the
 * writer's memory and every snapshot: a game that needs more opens another event.
 */
export const MAX_PENDING_TRANSACTIONS_PER_EVENT = 10_000;

/** The commands the gateway sends, for apps and the admin. */
const GATEWAY_COMMANDS: ReadonlySet<string> = new Set<LedgerCommand['type']>([
  'RegisterApp',
  'IssueApiKey',
  'RevokeApiKey',
  'Grant',
  'OpenEvent',
  'PingEvent',
  'CloseEvent',
  'AbortEvent',
  'PostTransaction',
  'Transfer',
  'ChangeAppSettings',
  'SetAllowance',
  'RemoveAllowance',
  'ClaimAllowance',
  'ReverseTransaction',
  ...APP_EXTERNAL_COMMANDS,
  ...ADMIN_EXTERNAL_COMMANDS,
]);

/** Commands only the ledger itself issues: expiry sweeps and taking over the stream. */
export type SystemCommand = Command<'ExpireEvent', { event_id: number }> | Command<'StartTerm', { instance_id: string }>;

/** Who sent a command: a service whose signature the NATS door checked, or the ledger itself. */
export type CommandSender = ServiceSender | 'ledger';

export interface DecideContext {
  now: Date;
  eventTimeoutSeconds: number;
  command_id: string;
  sender: CommandSender;
  /** The calling app, or null for the admin and the ledger itself. */
  app_id: string | null;
  /** The API key the app called with (null for the admin, the ledger and rewards). */
  key_id: string | null;
  request_hash: string | null;
  /** The realm this ledger writes for (absent: the default realm); it names the apps it registers. */
  realm?: string;
}

export type Decision = DeciderDecision<LedgerEvent, RememberedEvents>;

export const events = (...list: LedgerEvent[]): Decision => ({ kind: 'events', events: list });
export const refuse = (...args: Parameters<typeof refusal>): Decision => ({ kind: 'refused', refusal: refusal(...args) });

/**
 * Total over any JSON: `command` arrives over NATS, so nothing reads a field before it is
 * checked (validate.ts), and what is not a well-formed command is refused, never thrown on.
 * Who may ask (authorize, which reads only the type) comes before a replay, so a key revoked
 * since gets nothing; a replay comes before the fields' check, so a retry gets its first
 * answer, a recorded refusal included.
 */
export function decide(command: LedgerCommand | SystemCommand, state: LedgerState, context: DecideContext): Decision {
  const malformed = shapeProblem(command);
  if (malformed) return { kind: 'refused', refusal: malformed };
  const denied = authorize(state, command, context);
  if (denied) return denied;
  // A command id seen before answers its first answer: for a key's retention window, or (no key) until its deadline.
  const keyed = Boolean(context.request_hash);
  const decided = state.memory.recall(context.command_id, keyed, context.now.getTime());
  if (decided) {
    return !keyed || decided.request_hash === context.request_hash
      ? { kind: 'replay', decided }
      : refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
  }
  const invalid = commandProblem(command);
  if (invalid) return { kind: 'refused', refusal: invalid };
  // An app's currencies are checked once the fields are (the currency is one of them).
  const offCurrency = context.app_id !== null && command.type !== 'StartTerm' && command.type !== 'ExpireEvent' ? currencyRefusal(state, command, context.app_id) : null;
  if (offCurrency) return { kind: 'refused', refusal: offCurrency };
  const now = context.now.toISOString();
  switch (command.type) {
    case 'StartTerm':
      return events({
        type: 'WriterTermStarted',
        data: { term: state.term + 1, instance_id: command.data.instance_id, started_at: now },
      });
    case 'ExpireEvent':
      return expire(state, command.data.event_id, context.now);
    case 'RegisterApp':
    case 'IssueApiKey':
    case 'RevokeApiKey':
    case 'Grant':
      return decideAdmin(state, command, now, context.realm);
    case 'ChangeAppSettings':
      return changeAppSettings(state, command, now);
    case 'SetAllowance':
      return setAllowance(command, now);
    case 'RemoveAllowance':
      return removeAllowance(state, command, now);
    case 'ClaimAllowance':
      return claimAllowance(state, command, context.app_id as string, context.now);
    case 'PayReward':
      return payReward(state, command, context.app_id as string, now);
    case 'OpenEvent':
    case 'PingEvent':
    case 'CloseEvent':
    case 'AbortEvent':
    case 'PostTransaction':
    case 'Transfer':
      return decideFinance(state, command, context.app_id as string, context);
    case 'ReverseTransaction':
      return reverseTransaction(state, command, context.app_id, now);
    case 'LinkExternalAccount':
    case 'UnlinkExternalAccount':
    case 'RequestWithdrawal':
    case 'AcceptWithdrawal':
    case 'DeclineWithdrawal':
    case 'RequestDeposit':
    case 'AcceptDeposit':
    case 'DeclineDeposit':
      return decideExternal(state, command, context.app_id, now);
    default:
      // Only a type no ledger command has gets here: `never` makes a forgotten case fail to compile.
      return unknownType(command);
  }
}

/**
 * Who may ask for what, checked before anything else (a replay included): the ledger alone
 * sweeps and starts terms; the achievements service only pays rewards; the gateway sends the
 * admin's commands (no app) and apps' commands, each with a live API key of the very app it acts
 * for, so a key revoked since the gateway looked, or a key of another app, moves nothing.
 */
function authorize(state: LedgerState, command: LedgerCommand | SystemCommand, context: DecideContext): Decision | null {
  const sender = context.sender;
  switch (command.type) {
    case 'StartTerm':
    case 'ExpireEvent':
      return sender === 'ledger' ? null : refuse('FORBIDDEN', 'only the ledger itself may do this');
    case 'PayReward':
      if (sender !== 'achievements') return refuse('FORBIDDEN', 'only the achievements service pays rewards');
      if (context.app_id === null) return refuse('FORBIDDEN', 'a reward is paid by an app');
      return refused(scopeRefusal(state, command.type, context.app_id));
  }
  // The type is named only when it is one of ours: any string may arrive over NATS, and a refusal never echoes one.
  if (sender !== 'gateway') return refuse('FORBIDDEN', `the ${sender} service may not send ${GATEWAY_COMMANDS.has(command.type) ? command.type : 'this command'}`);
  // The admin reverses any transaction; an app (below: with a live key and finance:write) only its own.
  if (command.type === 'ReverseTransaction' && context.app_id === null) return null;
  if (isAdminCommand(command.type)) return context.app_id === null ? null : refuse('FORBIDDEN', 'only the admin may do this');
  if (context.app_id === null) return refuse('FORBIDDEN', 'finance commands need an app key');
  const key = context.key_id === null ? undefined : state.apps.get(context.app_id)?.keys.get(context.key_id);
  if (!key) return refuse('UNAUTHENTICATED', 'the API key is unknown or belongs to another app');
  if (key.revoked_at !== null) return refuse('UNAUTHENTICATED', 'the API key is revoked');
  // Like a revoked key, a scope taken away since is refused before a replay.
  return refused(scopeRefusal(state, command.type, context.app_id));
}

const unknownType = (_command: never): Decision => refuse('VALIDATION_FAILED', 'unknown ledger command type');

const refused = (refusal: Refusal | null): Decision | null => (refusal ? { kind: 'refused', refusal } : null);

function decideAdmin(
  state: LedgerState,
  command: Extract<LedgerCommand, { type: 'RegisterApp' | 'IssueApiKey' | 'RevokeApiKey' | 'Grant' }>,
  now: string,
  realm: string | undefined,
): Decision {
  switch (command.type) {
    case 'RegisterApp': {
      const name = command.data.name.trim();
      if (state.keyOwners.has(command.data.key_id)) return refuse('VALIDATION_FAILED', 'key_id already exists');
      const app_id = appIdOf(state.nextAppNumber, realm);
      return events(
        { type: 'AppRegistered', data: { app_id, name, registered_at: now } },
        { type: 'ApiKeyIssued', data: { app_id, key_id: command.data.key_id, key_hash: command.data.key_hash, issued_at: now } },
      );
    }
    case 'IssueApiKey':
      if (!state.apps.has(command.data.app_id)) return refuse('NOT_FOUND', `app ${command.data.app_id} does not exist`);
      if (state.keyOwners.has(command.data.key_id)) return refuse('VALIDATION_FAILED', 'key_id already exists');
      return events({
        type: 'ApiKeyIssued',
        data: { app_id: command.data.app_id, key_id: command.data.key_id, key_hash: command.data.key_hash, issued_at: now },
      });
    case 'RevokeApiKey': {
      const key = state.apps.get(command.data.app_id)?.keys.get(command.data.key_id);
      if (!key) return refuse('NOT_FOUND', `key ${command.data.key_id} of app ${command.data.app_id} does not exist`);
      if (key.revoked_at) return refuse('NOT_FOUND', `key ${command.data.key_id} is already revoked`);
      return events({ type: 'ApiKeyRevoked', data: { app_id: command.data.app_id, key_id: command.data.key_id, revoked_at: now } });
    }
    case 'Grant':
      return transaction(state, {
        type: 'grant',
        app_id: null,
        event_id: null,
        user: command.data.user_id,
        debit: TREASURY,
        creditUser: command.data.user_id,
        amount: command.data.amount,
        currency: command.data.currency,
        description: command.data.description,
        now,
      });
  }
}

/** A posted credit from the app's house account: what an unlocked achievement pays. */
function payReward(state: LedgerState, command: PayReward, appId: string, now: string): Decision {
  if (!state.apps.has(appId)) return refuse('NOT_FOUND', `app ${appId} does not exist`);
  return transaction(state, {
    type: 'credit',
    app_id: appId,
    event_id: null,
    user: command.data.user_id,
    debit: houseAccount(appId),
    creditUser: command.data.user_id,
    amount: command.data.amount,
    currency: command.data.currency,
    description: command.data.description,
    now,
  });
}

function decideFinance(
  state: LedgerState,
  command: Extract<LedgerCommand, { type: 'OpenEvent' | 'PingEvent' | 'CloseEvent' | 'AbortEvent' | 'PostTransaction' | 'Transfer' }>,
  appId: string,
  context: DecideContext,
): Decision {
  const now = context.now.toISOString();
  const deadline = new Date(context.now.getTime() + context.eventTimeoutSeconds * 1000).toISOString();
  switch (command.type) {
    case 'OpenEvent':
      return events({
        type: 'EventOpened',
        data: { event_id: state.nextEventId, app_id: appId, description: command.data.description, opened_at: now, expires_at: deadline },
      });
    case 'PingEvent': {
      const open = openEvent(state, command.data.event_id, appId, context.now);
      if ('kind' in open) return open;
      return events({ type: 'Pinged', data: { event_id: open.event_id, pinged_at: now, expires_at: deadline } });
    }
    case 'CloseEvent': {
      const open = openEvent(state, command.data.event_id, appId, context.now);
      if ('kind' in open) return open;
      // Every pending transaction posts (in the order they were made), then the event closes.
      return events(
        ...open.pending.map((id): LedgerEvent => ({ type: 'TransactionPosted', data: { ...pendingData(state, id), posted_at: now } })),
        { type: 'EventClosed', data: { event_id: open.event_id, closed_at: now } },
      );
    }
    case 'AbortEvent':
      return abortEvent(state, command.data.event_id, appId, context.now);
    case 'PostTransaction': {
      if (command.data.event_id !== null) {
        const open = openEvent(state, command.data.event_id, appId, context.now);
        if ('kind' in open) return open;
        if (open.pending.length >= MAX_PENDING_TRANSACTIONS_PER_EVENT) {
          return refuse('LIMIT_EXCEEDED', `event ${open.event_id} holds ${MAX_PENDING_TRANSACTIONS_PER_EVENT} pending transactions, the most one event may: close it and open another`, {
            limit: 'pending_transactions_per_event',
            maximum: MAX_PENDING_TRANSACTIONS_PER_EVENT,
          });
        }
      }
      const house = houseAccount(appId);
      const credit = command.data.type === 'credit';
      return transaction(state, {
        type: command.data.type,
        app_id: appId,
        event_id: command.data.event_id,
        user: command.data.user_id,
        debit: credit ? house : userAccount(command.data.user_id),
        creditUser: credit ? command.data.user_id : null,
        creditAccount: credit ? undefined : house,
        amount: command.data.amount,
        currency: command.data.currency,
        description: command.data.description,
        now,
      });
    }
    case 'Transfer':
      if (command.data.from_user_id === command.data.to_user_id) {
        return refuse('VALIDATION_FAILED', 'from_user_id and to_user_id must differ');
      }
      return transaction(state, {
        type: 'transfer',
        app_id: appId,
        event_id: null,
        user: command.data.from_user_id,
        debit: userAccount(command.data.from_user_id),
        creditUser: command.data.to_user_id,
        amount: command.data.amount,
        currency: command.data.currency,
        description: command.data.description,
        now,
      });
  }
}

export interface TransactionIntent {
  type: TransactionData['type'];
  app_id: string | null;
  event_id: number | null;
  user: string;
  debit: AccountId;
  /** The user credited, or null when the credit goes to `creditAccount`. */
  creditUser: string | null;
  creditAccount?: AccountId;
  amount: string;
  currency: string;
  description: string | null;
  /** A reversal's original; absent for every other transaction. */
  reverses_transaction_id?: number;
  now: string;
}

/** Checks funds (the fields were checked by validate.ts), then records the transaction: pending inside an event, else posted. */
export function transaction(state: LedgerState, intent: TransactionIntent): Decision {
  const amount = parseAmount(intent.amount) as bigint;
  // A credit from the app's house mints money: within the app's daily limit (a reward too).
  if (isMintedBy(intent.app_id, intent.debit)) {
    const beyond = mintLimitRefusal(state, intent.app_id, intent.currency, amount, intent.now);
    if (beyond) return { kind: 'refused', refusal: beyond };
  }
  if (isUserAccount(intent.debit)) {
    const funds = available(balanceOf(state, intent.debit, intent.currency));
    if (funds < amount) {
      return refuse('INSUFFICIENT_FUNDS', 'the balance available does not cover this amount', {
        available: funds.toString(),
        requested: amount.toString(),
        currency: intent.currency,
      });
    }
  }
  const data: TransactionData = {
    transaction_id: state.nextTransactionId,
    event_id: intent.event_id,
    app_id: intent.app_id,
    type: intent.type,
    user_id: intent.user,
    debit_account: intent.debit,
    credit_account: intent.creditUser !== null ? userAccount(intent.creditUser) : (intent.creditAccount as AccountId),
    amount: amount.toString(),
    currency: intent.currency,
    description: intent.description,
    reverses_transaction_id: intent.reverses_transaction_id ?? null,
    created_at: intent.now,
  };
  return events(intent.event_id === null ? { type: 'TransactionPosted', data: { ...data, posted_at: intent.now } } : { type: 'TransactionPending', data });
}

/** The caller's event, open and not past its deadline; another app's event does not exist for it. */
export function openEvent(state: LedgerState, eventId: number, appId: string, now: Date): FinanceEventState | Decision {
  const finance = state.openEvents.get(eventId);
  if (finance?.app_id === appId) {
    if (now.getTime() < finance.expires_at_ms) return finance;
    return refuse('EVENT_NOT_OPEN', `event ${eventId} is expired`, { status: 'expired' });
  }
  const settled = state.settledEvents.get(eventId);
  if (settled?.app_id === appId) {
    return refuse('EVENT_NOT_OPEN', `event ${eventId} is ${settled.status}`, { status: settled.status });
  }
  return refuse('NOT_FOUND', `event ${eventId} does not exist`);
}

function expire(state: LedgerState, eventId: number, now: Date): Decision {
  const finance = state.openEvents.get(eventId);
  if (!finance || now.getTime() < finance.expires_at_ms) return events();
  const at = now.toISOString();
  // Every pending transaction is voided (in the order they were made), then the event expires.
  return events(
    ...finance.pending.map((id): LedgerEvent => ({
      type: 'TransactionVoided',
      data: { ...pendingData(state, id), voided_at: at, reason: 'expired' },
    })),
    { type: 'EventExpired', data: { event_id: eventId, expired_at: at } },
  );
}

/** A pending transaction's data, as its TransactionPending said (the state holds every one). */
export function pendingData(state: LedgerState, id: number): TransactionData {
  const data = state.pendingTransactions.get(id);
  assertInvariant('ledger', data !== undefined, `pending transaction ${id} does not exist`);
  return data;
}

/** Open events whose deadline has passed at `now`: the writer expires them. */
export function dueEvents(state: LedgerState, now: Date): number[] {
  const due: number[] = [];
  for (const finance of state.openEvents.values()) {
    if (now.getTime() >= finance.expires_at_ms) due.push(finance.event_id);
  }
  return due;
}
