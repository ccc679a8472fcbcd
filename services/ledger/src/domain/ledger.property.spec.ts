/**
 * Property test of the whole domain: random command sequences (apps, users, two currencies,
 * valid and invalid amounts up to 10^18, existing and unknown events, clock jumps past the
 * timeout with expiry sweeps, a clock going back (a standby whose clock lags the writer it
 * replaced), deadlines of every length and some already past, restarts from a snapshot, some
 * with another idempotency retention (a rolling configuration change), idempotent retries,
 * resends of commands without a key before their deadline, time jumping past the idempotency
 * window) must keep the money invariants after every step, and the live state must equal a
 * fresh fold of the log with any retention setting: forgetting old commands happens by event
 * time and by the ends the events carry, so a replay forgets exactly as the live ledger did.
 * The steps generate real commands (the contract's LedgerCommand, aimed at the state when they
 * run: see Aim) and decide them as the writer does: at decisionTimeMs, dropped past their
 * deadline, then through decideCommand with the ledger's Decider and the writer's stamp
 * (stampFor), which folds their events and records a keyed refusal. Every transaction that leaves pending gets
 * exactly one TransactionPosted or TransactionVoided, and the same history written as a v1
 * store (close and expiry listing ids, no per-transaction settlements, old names) folds through
 * the upcaster into the same state. Aborts void like expiries; reversals never move back more
 * than their original in total, and what the state says is left to reverse of each is exactly
 * its amount less the reversals in the log.
 */
import fc from 'fast-check';
import {
  EVENT_SCHEMA_VERSIONS,
  MAX_AMOUNT,
  MAX_EXTERNAL_ACCOUNTS_PER_USER,
  MAX_WAITING_DEPOSITS_PER_USER,
  MAX_WAITING_WITHDRAWALS_PER_USER,
  wasPending,
  type AbortEvent,
  type AcceptDeposit,
  type AcceptWithdrawal,
  type DeclineDeposit,
  type DeclineWithdrawal,
  type LinkExternalAccount,
  type RequestDeposit,
  type RequestWithdrawal,
  type ReverseTransaction,
  type TransactionData,
  type TransactionPosted,
  type UnlinkExternalAccount,
  MAX_DEADLINE_AHEAD_MS,
  parseAmount,
  upcastEvent,
  APP_SCOPES,
  type ChangeAppSettings,
  type ClaimAllowance,
  type CloseEvent,
  type Grant,
  type RemoveAllowance,
  type SetAllowance,
  type IssueApiKey,
  type LedgerCommand,
  type OpenEvent,
  type PingEvent,
  type PostTransaction,
  type Refusal,
  type RegisterApp,
  type RequestMeta,
  type RevokeApiKey,
  type Transfer,
} from '@coffer/contracts';
import { decideCommand, decisionTimeMs, isPastDeadline, stampFor } from '@coffer/decider';
import { available, isUserAccount } from './accounts';
import { dueEvents, type DecideContext, type Decision, type SystemCommand } from './decide';
import { ledgerDecider } from './decider';
import { type LedgerAnswer } from './replies';
import { evolve, type AppliedEvent } from './evolve';
import { snapshot } from './snapshot';
import { balanceOf, LedgerState } from './state';
import { periodStartMs } from './allowance-periods';
import { COMMAND_SCOPES } from './app-scopes';
import { NOW, restarted, SNOWFLAKE, TIMEOUT_SECONDS } from '../../test/given-when-then';

// ---- generators --------------------------------------------------------------------------------

/** The idempotency window of these runs: short, so time often jumps past it. */
const RETENTION_MS = 600_000;
/** Other settings a restarted writer may have (a rolling configuration change), and one a fold may have. */
const OTHER_RETENTIONS_MS = [RETENTION_MS / 4, RETENTION_MS * 3];
const LONGEST_RETENTION_MS = Math.max(RETENTION_MS, ...OTHER_RETENTIONS_MS);
/** How long the sender of a retried command waits (its deadline is now + this). */
const DEADLINE_MS = 5_000;

const USERS = ['alice', 'bob', SNOWFLAKE, 'u.x:1-2'];
const BAD_USERS = ['bad user', '', 'x|y'];
const APPS = ['app_1', 'app_2'];
/** The key each app is registered with, and calls with unless a step says another app's. */
const BOOT_KEYS: Record<string, string> = { app_1: 'boot_1', app_2: 'boot_2' };

/** The ledger's Decider, as the writer runs it: its decide, evolve and reply, through decideCommand. */
const LEDGER = ledgerDecider(RETENTION_MS);

/** A weighted choice for fc.oneof. */
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/** Mostly valid users (alice most often, so her wallet sees traffic), sometimes invalid ids. */
const user = fc.oneof(w(12, fc.constantFrom(USERS[0], USERS[0], USERS[1], USERS[2], USERS[3])), w(1, fc.constantFrom(...BAD_USERS)));
const currency = fc.oneof(w(8, fc.constant('coins')), w(3, fc.constant('gems')), w(1, fc.constantFrom('Gems', '', 'gold-bars')));
const amount = fc.oneof(
  w(8, fc.integer({ min: 1, max: 100 }).map(String)),
  w(2, fc.bigInt(1n, MAX_AMOUNT).map(String)),
  w(1, fc.constant(MAX_AMOUNT.toString())),
  w(1, fc.constantFrom('0', '-1', '1.5', (MAX_AMOUNT + 1n).toString(), 'abc', '', '01', '1e3')),
);
/** Grants bring money in: mostly enough for several debits, sometimes huge. */
const grantAmount = fc.oneof(
  w(6, fc.integer({ min: 50, max: 5000 }).map(String)),
  w(2, fc.bigInt(10n ** 17n, MAX_AMOUNT).map(String)),
  w(1, amount),
);
const appCaller = fc.oneof(w(10, fc.constantFrom('app_1', 'app_1', 'app_2')), w(1, fc.constant(null)));
const adminCaller = fc.oneof(w(6, fc.constant(null)), w(1, fc.constantFrom(...APPS)));
/** The API key a finance command comes with: the caller's own, or (rarely) another app's. */
type ApiKeyChoice = 'own' | 'other';
const apiKey = fc.oneof(w(20, fc.constant<ApiKeyChoice>('own')), w(1, fc.constant<ApiKeyChoice>('other')));
/** An Idempotency-Key (scoped to the caller), or none. */
const key = fc.option(
  fc.integer({ min: 1, max: 30 }).map((n) => `k${n}`),
  { freq: 5 },
);
const description = fc.oneof(w(10, fc.constant(null)), w(2, fc.string({ maxLength: 8 })), w(1, fc.constant('d'.repeat(501))));
/** How long a command's sender waits, from its clock: mostly the usual, any length up to the longest, sometimes already past. */
const deadline = fc.oneof(
  w(6, fc.constant(DEADLINE_MS)),
  w(3, fc.integer({ min: 1, max: MAX_DEADLINE_AHEAD_MS })),
  w(1, fc.integer({ min: -10_000, max: 0 })),
);

/** Who sends a command: the calling app (null: the admin), the API key it calls with, its Idempotency-Key, how long it waits. */
interface Sending {
  caller: string | null;
  apiKey: ApiKeyChoice;
  key: string | null;
  deadline: number;
}

/**
 * Where a generated command is aimed once its step runs, at what exists only then: the caller's
 * latest event instead of the event id it was generated with, an amount relative to a user's
 * balance (exactly the available or posted amount, or one more or less, to hit the boundaries)
 * instead of its own. The command itself is a real LedgerCommand either way.
 */
interface Aim {
  latestEvent?: boolean;
  amount?: { of: 'available' | 'posted'; plus: number };
  /**
   * A reversal's original: the pick-th posted transaction, or final one (voided, a reversal, an
   * accepted withdrawal or deposit), or any id (posted, pending, voided or none) when it runs.
   */
  original?: { pick: number; among: 'posted' | 'final' | 'any' };
  /** A reversal's amount relative to what is left to reverse of its original (null: the default, all of it). */
  reversible?: { plus: number } | null;
  /** A withdrawal, deposit or unlink: at the latest linked external account, for its user. */
  latestAccount?: boolean;
  /** An accept or decline: at the oldest one waiting, or the latest one given (often decided already), or its own id. */
  decide?: 'oldestWaiting' | 'latestGiven';
}

/** A real command with its sender, or what happens around commands (time, sweeps, restarts, retries). */
type Step =
  | { t: 'command'; command: LedgerCommand; sending: Sending; aim: Aim }
  | { t: 'advance'; seconds: number; sweep: boolean }
  | { t: 'sweep' }
  | { t: 'restart'; retentionMs: number }
  | { t: 'startTerm' }
  | { t: 'retry'; pick: number; tamper: boolean }
  | { t: 'resend'; pick: number };

const keyId = fc.constantFrom('key_a', 'key_b', 'key_c', 'key_d', 'key_e');
/** An event id, existing or not: the aim mostly replaces it with the caller's latest event. */
const eventId = fc.integer({ min: 1, max: 12 });
const atLatestEvent = fc.oneof(w(5, fc.constant(true)), w(1, fc.constant(false)));
/** For a debit or transfer: mostly its own amount, sometimes one relative to the balance when it runs. */
const relativeAmount = fc.oneof(
  w(3, fc.constant(undefined)),
  w(2, fc.record({ of: fc.constantFrom('available' as const, 'posted' as const), plus: fc.integer({ min: -1, max: 1 }) })),
);
const appSending: fc.Arbitrary<Sending> = fc.record({ caller: appCaller, apiKey, key, deadline });
const adminSending: fc.Arbitrary<Sending> = fc.record({ caller: adminCaller, apiKey: fc.constant<ApiKeyChoice>('own'), key, deadline });
/** The admin's app and key commands: without an Idempotency-Key, the usual wait. */
const setupSending: fc.Arbitrary<Sending> = fc.constant({ caller: null, apiKey: 'own', key: null, deadline: DEADLINE_MS });

/** A command of the contract: its type, and data from `data`. */
const command = <C extends LedgerCommand>(type: C['type'], data: fc.Arbitrary<C['data']>): fc.Arbitrary<LedgerCommand> =>
  fc.record({ type: fc.constant(type), data }) as unknown as fc.Arbitrary<LedgerCommand>;
const commandStep = (weight: number, commands: fc.Arbitrary<LedgerCommand>, sending: fc.Arbitrary<Sending>, aim: fc.Arbitrary<Aim> = fc.constant({})) =>
  w(weight, fc.record({ t: fc.constant('command' as const), command: commands, sending, aim }));

/** Few distinct references, so the same account is linked twice now and then. */
const referenceHash = fc.integer({ min: 1, max: 2 }).map((n) => n.toString(16).padStart(64, '0'));
const externalAccountId = fc.integer({ min: 1, max: 8 });
const verificationId = fc.integer({ min: 1, max: 8 });
/** Few payments, so a payment is often reported again (refused while its first deposit waits or was accepted). */
const paymentReference = fc.integer({ min: 1, max: 6 }).map((n) => n.toString(16).padStart(64, '0'));
const reason = fc.oneof(w(8, fc.constant('account closed')), w(1, fc.constantFrom('', '  ')));
const atLatestAccount = fc.record({ latestAccount: atLatestEvent });
const atOldestWaiting = fc.record({ decide: fc.oneof(w(4, fc.constant('oldestWaiting' as const)), w(3, fc.constant('latestGiven' as const)), w(1, fc.constant(undefined))) });

const step: fc.Arbitrary<Step> = fc.oneof(
  // The withdrawal steps weigh more than their share: a request must follow a link, and an
  // accept again (CONFLICT) an accept, in one plan among every other command of issue 13.
  commandStep(
    5,
    command<LinkExternalAccount>(
      'LinkExternalAccount',
      fc.record({ user_id: user, kind: fc.constantFrom('bank' as const, 'paypal' as const), label: fc.constantFrom('savings', ' '), reference_hash: referenceHash, reference_last4: fc.constant('3000') }),
    ),
    appSending,
  ),
  commandStep(1, command<UnlinkExternalAccount>('UnlinkExternalAccount', fc.record({ user_id: user, external_account_id: externalAccountId })), appSending, atLatestAccount),
  commandStep(
    6,
    command<RequestWithdrawal>('RequestWithdrawal', fc.record({ user_id: user, amount, currency, external_account_id: externalAccountId })),
    appSending,
    fc.record({ latestAccount: atLatestEvent, amount: relativeAmount }),
  ),
  commandStep(
    2,
    command<RequestDeposit>('RequestDeposit', fc.record({ user_id: user, amount, currency, external_account_id: externalAccountId, reference_hash: paymentReference, reference_last4: fc.constant('7731') })),
    appSending,
    atLatestAccount,
  ),
  commandStep(3, command<AcceptWithdrawal>('AcceptWithdrawal', fc.record({ withdrawal_id: verificationId })), adminSending, atOldestWaiting),
  commandStep(2, command<DeclineWithdrawal>('DeclineWithdrawal', fc.record({ withdrawal_id: verificationId, reason })), adminSending, atOldestWaiting),
  commandStep(2, command<AcceptDeposit>('AcceptDeposit', fc.record({ deposit_id: verificationId })), adminSending, atOldestWaiting),
  commandStep(1, command<DeclineDeposit>('DeclineDeposit', fc.record({ deposit_id: verificationId, reason })), adminSending, atOldestWaiting),
  commandStep(7, command<OpenEvent>('OpenEvent', fc.record({ description })), appSending),
  commandStep(2, command<PingEvent>('PingEvent', fc.record({ event_id: eventId })), appSending, fc.record({ latestEvent: atLatestEvent })),
  commandStep(3, command<CloseEvent>('CloseEvent', fc.record({ event_id: eventId })), appSending, fc.record({ latestEvent: atLatestEvent })),
  commandStep(
    14,
    command<PostTransaction>(
      'PostTransaction',
      fc.record({
        user_id: user,
        event_id: fc.option(eventId, { freq: 3 }),
        type: fc.constantFrom('credit' as const, 'debit' as const),
        amount,
        currency,
        description: fc.constant(null),
      }),
    ),
    appSending,
    fc.record({ latestEvent: atLatestEvent, amount: relativeAmount }),
  ),
  commandStep(
    5,
    command<Transfer>('Transfer', fc.record({ from_user_id: user, to_user_id: user, amount, currency, description: fc.constant(null) })),
    appSending,
    fc.record({ amount: relativeAmount }),
  ),
  commandStep(2, command<AbortEvent>('AbortEvent', fc.record({ event_id: eventId })), appSending, fc.record({ latestEvent: atLatestEvent })),
  commandStep(
    5,
    command<ReverseTransaction>('ReverseTransaction', fc.record({ transaction_id: fc.integer({ min: 1, max: 40 }), amount: fc.option(amount, { freq: 2 }), description })),
    fc.oneof(appSending, adminSending),
    fc.record({
      original: fc.record({ pick: fc.nat(), among: fc.oneof(w(3, fc.constant('posted' as const)), w(1, fc.constant('final' as const)), w(2, fc.constant('any' as const))) }),
      reversible: fc.oneof(w(2, fc.constant(undefined)), w(1, fc.constant(null)), w(3, fc.record({ plus: fc.integer({ min: -3, max: 1 }) }))),
    }),
  ),
  commandStep(5, command<Grant>('Grant', fc.record({ user_id: user, amount: grantAmount, currency, description: fc.constant(null) })), adminSending),
  // Allowances and app settings: claims often, settings now and then (narrow ones pass rarely,
  // so most runs still move money).
  commandStep(6, command<ClaimAllowance>('ClaimAllowance', fc.record({ user_id: user, currency: fc.oneof(w(6, fc.constant('coins')), w(1, currency)) })), appSending),
  commandStep(
    2,
    command<SetAllowance>('SetAllowance', fc.record({ currency, amount, period: fc.constantFrom('daily' as const, 'weekly' as const) })),
    adminSending,
  ),
  commandStep(1, command<RemoveAllowance>('RemoveAllowance', fc.record({ currency })), adminSending),
  commandStep(
    3,
    command<ChangeAppSettings>(
      'ChangeAppSettings',
      fc.record(
        {
          app_id: fc.constantFrom('app_1', 'app_1', 'app_2', 'app_9'),
          scopes: fc.oneof(w(5, fc.constant(null)), w(1, fc.subarray([...APP_SCOPES]))),
          currencies: fc.oneof(w(2, fc.constant(null)), w(1, fc.subarray(['coins', 'gems']))),
          mint_limit_per_day: fc.oneof(
            w(1, fc.constant(null)),
            // limits of the size of a few credits, so runs reach them and credits within them
            w(3, fc.dictionary(fc.constantFrom('coins', 'gems'), fc.integer({ min: 1, max: 300 }).map(String), { minKeys: 1, maxKeys: 2 })),
          ),
        },
        { requiredKeys: ['app_id'] },
      ),
    ),
    adminSending,
  ),
  commandStep(
    1,
    command<RegisterApp>('RegisterApp', fc.record({ name: fc.constantFrom('Poker', 'Dice', ' ', 'Slots'), key_id: keyId, key_hash: fc.constant('h') })),
    setupSending,
  ),
  commandStep(
    1,
    command<IssueApiKey>('IssueApiKey', fc.record({ app_id: fc.constantFrom('app_1', 'app_2', 'app_3', 'app_9'), key_id: keyId, key_hash: fc.constant('h') })),
    setupSending,
  ),
  commandStep(
    1,
    command<RevokeApiKey>('RevokeApiKey', fc.record({ app_id: fc.constantFrom('app_1', 'app_2', 'app_3'), key_id: fc.oneof(keyId, fc.constantFrom('boot_1', 'boot_2')) })),
    setupSending,
  ),
  w(
    4,
    fc.record({
      t: fc.constant('advance' as const),
      // mostly a few seconds; sometimes past the timeout (then swept, or left for later); sometimes
      // back (the next writer's clock lags the last one's: it decides at the events' time meanwhile)
      seconds: fc.oneof(
        w(6, fc.integer({ min: 0, max: 15 })),
        w(1, fc.integer({ min: -120, max: -1 })),
        w(2, fc.integer({ min: TIMEOUT_SECONDS, max: 300 })),
        w(1, fc.integer({ min: RETENTION_MS / 1000 - 5, max: (2 * RETENTION_MS) / 1000 })),
        // across UTC days and weeks: allowances' periods and mint limits' days roll
        w(2, fc.integer({ min: 6 * 3600, max: 4 * 86400 })),
      ),
      sweep: fc.boolean(),
    }),
  ),
  w(1, fc.constant({ t: 'sweep' as const })),
  w(2, fc.record({ t: fc.constant('restart' as const), retentionMs: fc.constantFrom(RETENTION_MS, RETENTION_MS, ...OTHER_RETENTIONS_MS) })),
  w(1, fc.constant({ t: 'startTerm' as const })),
  w(2, fc.record({ t: fc.constant('retry' as const), pick: fc.nat(), tamper: fc.boolean() })),
  w(2, fc.record({ t: fc.constant('resend' as const), pick: fc.nat() })),
);

/** A cheap assertion for the hot loop (expect() per balance per step is slow). */
function must(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}

// ---- the run -----------------------------------------------------------------------------------

interface Sent {
  command: LedgerCommand;
  caller: string | null;
  apiKey: ApiKeyChoice;
  command_id: string;
  request_hash: string | null;
}

/** How often each outcome was reached over the whole property run (to check the generators). */
const seen = new Map<string, number>();
const see = (label: string) => seen.set(label, (seen.get(label) ?? 0) + 1);

class Run {
  /** The writer's idempotency retention setting: a restart may change it. */
  retentionMs = RETENTION_MS;
  state = new LedgerState(RETENTION_MS);
  readonly log: AppliedEvent[] = [];
  now = NOW;
  private counter = 0;
  /** Commands sent with an Idempotency-Key, to retry later. */
  readonly sent: Sent[] = [];
  /**
   * What was first remembered for each command id decided with a request hash: what its memory
   * kept and the answer it gave (or its refusal), and until when.
   */
  readonly firstReplies = new Map<string, { request_hash: string; reply: unknown; answer?: LedgerAnswer; refusal?: Refusal; until: number; retentionMs: number }>();
  /** Commands without a key that had an effect, with what their memory kept, their answer and deadline, to resend. */
  readonly unkeyed: Array<Sent & { reply: unknown; answer: LedgerAnswer; deadline: number }> = [];

  constructor() {
    // Two apps exist from the start, so most finance commands have a real caller.
    this.send({ type: 'RegisterApp', data: { name: 'Poker', key_id: 'boot_1', key_hash: 'h' } }, null, null);
    this.send({ type: 'RegisterApp', data: { name: 'Dice', key_id: 'boot_2', key_hash: 'h' } }, null, null);
    expect([...this.state.apps.keys()]).toEqual(APPS);
    // …and a few wallets hold coins, so debits, transfers and pending debits have money to move.
    for (const userId of USERS.slice(0, 3)) {
      this.send({ type: 'Grant', data: { user_id: userId, amount: '1000', currency: 'coins', description: null } }, null, null);
    }
  }

  /** The caller's latest still-open event, else its latest event (any app's for the admin), else 0. */
  latestEventOf(caller: string | null): number {
    let latest = 0;
    let latestOpen = 0;
    for (const finance of this.state.openEvents.values()) {
      if (caller !== null && finance.app_id !== caller) continue;
      latestOpen = Math.max(latestOpen, finance.event_id);
    }
    for (const [eventId, settled] of this.state.settledEvents) {
      if (caller === null || settled.app_id === caller) latest = Math.max(latest, eventId);
    }
    latest = Math.max(latest, latestOpen);
    return latestOpen || latest;
  }

  /** When the writer decides now: its clock, never before the events it folded. */
  decisionNow(): Date {
    return new Date(decisionTimeMs(this.now.getTime(), this.state.memory));
  }

  /** The gateway's context (the ledger's own for its system commands), with the key the step chose. */
  context(command: LedgerCommand | SystemCommand, caller: string | null, apiKey: ApiKeyChoice, command_id: string, request_hash: string | null): DecideContext {
    const system = command.type === 'ExpireEvent' || command.type === 'StartTerm';
    const keyOwner = apiKey === 'own' ? caller : APPS.find((app) => app !== caller)!;
    const key_id = caller === null ? null : (BOOT_KEYS[keyOwner!] ?? null);
    return { now: this.decisionNow(), eventTimeoutSeconds: TIMEOUT_SECONDS, sender: system ? 'ledger' : 'gateway', app_id: caller, key_id, command_id, request_hash };
  }

  /**
   * Decides a command the way the writer does (decided at decisionTimeMs, dropped past its
   * deadline, then decideCommand: events stamped and folded, a keyed refusal recorded, answered),
   * and checks the decision and its answer against the rules.
   */
  send(
    command: LedgerCommand | SystemCommand,
    caller: string | null,
    key: string | null,
    hashOverride?: string,
    apiKey: ApiKeyChoice = 'own',
    resent?: { command_id: string; deadline: number },
    waitMs = DEADLINE_MS,
  ): void {
    const command_id = resent?.command_id ?? (key ? `${caller ?? 'admin'}/${key}` : `cmd-${++this.counter}`);
    const request_hash = key ? (hashOverride ?? JSON.stringify(command)) : null;
    const context = this.context(command, caller, apiKey, command_id, request_hash);
    const nowMs = context.now.getTime();
    const system = command.type === 'ExpireEvent' || command.type === 'StartTerm';
    // The gateway sets the deadline on its clock; the writer decides at its decision time.
    const deadline = system ? Number.POSITIVE_INFINITY : (resent?.deadline ?? this.now.getTime() + waitMs);
    if (this.now.getTime() < this.state.memory.clockMs) see('decided while the clock lagged');
    if (isPastDeadline(deadline, nowMs)) {
      see('dropped past its deadline'); // the writer answers 503 and decides nothing
      return;
    }

    const before = JSON.stringify(snapshot(this.state));
    const expected = this.oracle(command, caller, context.key_id, nowMs);
    const decision = LEDGER.decide(command, this.state, context);
    expect(JSON.stringify(snapshot(this.state))).toBe(before); // decide never changes the state

    see(`${command.type}:${decision.kind === 'refused' ? decision.refusal.code : decision.kind}`);
    if (decision.kind === 'events' && decision.events.some((e) => e.type === 'TransactionPending')) see('pending');
    const { events, answer } = this.apply(command, context, deadline, decision);
    // Who may ask comes first, a replay included; the answer is about the caller, so a retry does
    // not get it from memory: it is on the record (the audit trail) but not remembered.
    if (expected === 'FORBIDDEN' || expected === 'UNAUTHENTICATED') {
      expect(decision.kind === 'refused' && decision.refusal.code).toBe(expected);
      expect(events).toMatchObject([{ type: 'CommandRefused', data: { code: expected } }]);
      expect(this.state.memory.keyed.get(command_id)?.refusal?.code).not.toBe(expected);
      expect(answer).toMatchObject({ ok: false, code: expected });
      return;
    }
    // Then the Idempotency-Key: a known key replays or is refused as reused, until the retention
    // window ends; after it the key is forgotten and the command is decided afresh.
    const remembered = request_hash ? this.firstReplies.get(command_id) : undefined;
    const known = remembered && nowMs < remembered.until ? remembered : undefined;
    if (remembered && !known) see('retried after the window');
    if (known && known.retentionMs !== this.retentionMs) see('remembered for the window it was decided with');
    if (resent) {
      // Resent before its deadline (the writer drops it after): the first answer, never a second effect.
      const first = this.unkeyed.find((sent) => sent.command_id === resent.command_id)!;
      expect(decision).toEqual({ kind: 'replay', decided: expect.objectContaining({ request_hash: null, reply: first.reply }) });
      // and the same answer, byte for byte
      expect(events).toEqual([]);
      expect(answer.ok && answer.result.replayed).toBe(true);
      expect(JSON.stringify(answer.ok && answer.result.result)).toBe(JSON.stringify(first.answer));
      see('resent before its deadline');
      return;
    }
    if (known) {
      // A replay writes nothing; a reused key's refusal is on the record (audit) but leaves the key's first answer as it was.
      expect(events.map((event) => event.type)).toEqual(known.request_hash === request_hash ? [] : ['CommandRefused']);
      if (known.request_hash === request_hash) {
        // the first answer again, a refusal included, whatever changed since
        const first = known.refusal ? { refusal: known.refusal } : { reply: known.reply };
        expect(decision).toEqual({ kind: 'replay', decided: expect.objectContaining({ request_hash, ...first }) });
        if (known.refusal) {
          expect(answer).toEqual(known.refusal);
          see('refusal replayed');
        } else {
          expect(answer.ok && answer.result.replayed).toBe(true);
          expect(JSON.stringify(answer.ok && answer.result.result)).toBe(JSON.stringify(known.answer));
        }
      } else {
        expect(decision.kind === 'refused' && decision.refusal.code).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      return;
    }
    expect(decision.kind).not.toBe('replay');

    if (expected) {
      // A currency the app may not use is refused after the replay and the fields' check.
      expect(decision.kind === 'refused' ? decision.refusal.code : decision.kind).toBe(expected.replace(':currency', ''));
    }
    if (decision.kind === 'refused') {
      expect(['VALIDATION_FAILED', 'NOT_FOUND', 'EVENT_NOT_OPEN', 'INSUFFICIENT_FUNDS', 'FORBIDDEN', 'CONFLICT', 'LIMIT_EXCEEDED']).toContain(
        decision.refusal.code,
      );
      expect(answer).toEqual(decision.refusal);
      // As the writer does: every refusal is on the record (the audit trail); one of a command with
      // a key is remembered, so retries get it again; but not a FORBIDDEN (a currency the app may
      // not use): it is about the caller's rights, which may change.
      expect(events.map((event) => event.type)).toEqual(['CommandRefused']);
      const recorded = request_hash !== null && decision.refusal.code !== 'FORBIDDEN';
      if (!recorded) {
        // This refusal is not remembered. What may still sit under the id is an earlier request's
        // refusal whose window has ended (it is never replayed, and the sweep evicts it later):
        // seen with a FORBIDDEN decided at the very millisecond the key's first window ended.
        const kept = this.state.memory.keyed.get(command_id);
        if (kept?.refusal !== undefined) {
          expect(kept.remembered_until_ms).toBeLessThanOrEqual(nowMs);
          see('an ended refusal still kept under the id');
        }
      }
      if (recorded && request_hash) {
        expect(this.state.memory.keyed.get(command_id)?.refusal).toEqual(decision.refusal);
        this.firstReplies.set(command_id, { request_hash, reply: null, refusal: decision.refusal, until: nowMs + this.retentionMs, retentionMs: this.retentionMs });
        if (!system) this.sent.push({ command, caller, apiKey, command_id, request_hash });
      }
      return;
    }
    if (decision.kind !== 'events' || !answer.ok) return;
    expect(events.map((event) => event.data)).toEqual(decision.events.map((event) => event.data));
    const result = answer.result.result;
    expect(answer.result.replayed).toBe(false);
    if (request_hash && events.length > 0) {
      const decided = this.state.memory.keyed.get(command_id);
      expect(decided?.request_hash).toBe(request_hash);
      const until = nowMs + this.retentionMs;
      expect(decided?.remembered_until_ms).toBe(until);
      this.firstReplies.set(command_id, { request_hash, reply: JSON.parse(JSON.stringify(decided!.reply)), answer: result, until, retentionMs: this.retentionMs });
      if (!system) this.sent.push({ command, caller, apiKey, command_id, request_hash });
    } else if (!system && events.length > 0) {
      const decided = this.state.memory.unkeyed.get(command_id);
      expect(decided?.remembered_until_ms).toBe(deadline);
      const reply = JSON.parse(JSON.stringify(decided!.reply));
      this.unkeyed.push({ command: command as LedgerCommand, caller, apiKey, command_id, request_hash: null, reply, answer: result, deadline });
    }
  }

  /**
   * What the writer does with a decision: decideCommand with the writer's stamp (stampFor), its
   * events appended (here: to the log) and answered at the position they landed at.
   */
  apply(command: LedgerCommand | SystemCommand, context: DecideContext, deadline: number, decision: Decision) {
    const meta: RequestMeta = { correlation_id: context.command_id, command_id: context.command_id, app_id: context.app_id, key_id: context.key_id, deadline_epoch_ms: deadline };
    const decided = decideCommand(LEDGER, command, this.state, context, stampFor<AppliedEvent>(meta, context, this.retentionMs, command), decision);
    this.log.push(...decided.events);
    return { events: decided.events, answer: decided.answer(String(this.log.length)) };
  }

  /**
   * What an independent reading of the rules expects for the checks that need no deep state:
   * the caller's rights and key, the event's existence and openness, and the funds of a debited user.
   */
  private oracle(command: LedgerCommand | SystemCommand, caller: string | null, keyId: string | null, nowMs: number): string | undefined {
    if (command.type === 'ExpireEvent' || command.type === 'StartTerm') return 'events';
    const adminOnly = Object.keys(COMMAND_SCOPES).filter((type) => COMMAND_SCOPES[type as LedgerCommand['type']] === 'admin');
    const eventId =
      command.type === 'PingEvent' || command.type === 'CloseEvent' || command.type === 'AbortEvent' || command.type === 'PostTransaction' ? command.data.event_id : null;
    // Who may ask comes first (it reads only the type), then the fields (JSON from NATS until checked).
    // A reversal is the one command both the admin and apps send.
    if (command.type !== 'ReverseTransaction' && adminOnly.includes(command.type) !== (caller === null)) return 'FORBIDDEN';
    if (caller !== null) {
      const key = keyId === null ? undefined : this.state.apps.get(caller)?.keys.get(keyId);
      if (!key || key.revoked_at !== null) return 'UNAUTHENTICATED';
      const scopes = this.settingsOf(caller).scopes;
      if (scopes !== null && !scopes.includes(COMMAND_SCOPES[command.type] as never)) return 'FORBIDDEN';
    }
    if (eventId !== null && !(Number.isSafeInteger(eventId) && eventId >= 1)) return 'VALIDATION_FAILED';
    if (command.type === 'PostTransaction' || command.type === 'Transfer' || command.type === 'Grant') {
      const users = command.type === 'Transfer' ? [command.data.from_user_id, command.data.to_user_id] : [command.data.user_id];
      const wellFormed =
        /^[1-9][0-9]*$/.test(command.data.amount) &&
        parseAmount(command.data.amount) !== null &&
        /^[a-z][a-z0-9_]{0,31}$/.test(command.data.currency) &&
        users.every((id) => /^[A-Za-z0-9_.:-]{1,64}$/.test(id));
      if (!wellFormed) return 'VALIDATION_FAILED';
    }
    if (command.type === 'OpenEvent' && command.data.description !== null && command.data.description.length > 500) return 'VALIDATION_FAILED';
    const economy = this.economyOracle(command, caller, nowMs);
    if (economy !== null) return economy;
    if (command.type === 'RequestWithdrawal') return this.withdrawalOracle(command, caller);
    if (command.type === 'AcceptWithdrawal' || command.type === 'AcceptDeposit') {
      const waiting = command.type === 'AcceptWithdrawal' ? this.state.external.withdrawals : this.state.external.deposits;
      const id = command.type === 'AcceptWithdrawal' ? command.data.withdrawal_id : command.data.deposit_id;
      return waiting.byId.has(id) ? 'events' : id < waiting.nextId ? 'CONFLICT' : 'NOT_FOUND';
    }

    if (eventId !== null) {
      const finance = this.state.openEvents.get(eventId);
      const settled = this.state.settledEvents.get(eventId);
      if (finance?.app_id !== caller && settled?.app_id !== caller) return 'NOT_FOUND';
      if (!finance || nowMs >= finance.expires_at_ms) return 'EVENT_NOT_OPEN';
      if (command.type !== 'PostTransaction') return 'events';
    }
    if (command.type === 'ReverseTransaction') return this.reversalOracle(command, caller, nowMs);
    if (command.type !== 'PostTransaction' && command.type !== 'Transfer') return undefined;

    const transfer = command.type === 'Transfer';
    if (transfer && command.data.from_user_id === command.data.to_user_id) return 'VALIDATION_FAILED';

    const debited = transfer ? command.data.from_user_id : command.data.type === 'debit' ? command.data.user_id : null;
    if (debited === null) {
      // a credit comes from the house, which may go negative: within the app's daily mint limit
      const limit = this.settingsOf(caller!).mint_limit_per_day[command.data.currency];
      if (limit === undefined) return 'events';
      const used = this.mintedFromLog(caller!, command.data.currency, new Date(nowMs).toISOString().slice(0, 10));
      if (used + BigInt(command.data.amount) > BigInt(limit)) return 'LIMIT_EXCEEDED';
      see(used !== 0n ? 'credit within a limit after other moves that day' : 'credit within a limit');
      return 'events';
    }
    const balance = balanceOf(this.state, `user:${debited}`, command.data.currency);
    const wanted = BigInt(command.data.amount);
    const funds = available(balance);
    if (funds < wanted && balance.posted >= wanted) see('short only because of pending debits');
    if (funds < wanted && funds + balance.pendingCredit >= wanted) see('short only because credits are pending');
    return funds >= wanted ? 'events' : 'INSUFFICIENT_FUNDS';
  }

  /** An app's settings, read from the log (the latest AppSettingsChanged), not from the state. */
  settingsOf(appId: string): { scopes: string[] | null; currencies: string[] | null; mint_limit_per_day: Record<string, string> } {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const event = this.log[i];
      if (event.type === 'AppSettingsChanged' && event.data.app_id === appId) return event.data;
    }
    return { scopes: null, currencies: null, mint_limit_per_day: {} };
  }

  /** What the app minted on the UTC day, net of its debits, summed from the log. */
  mintedFromLog(appId: string, currency: string, day: string): bigint {
    let net = 0n;
    const house = `house:${appId}`;
    for (const event of this.log) {
      if (event.type !== 'TransactionPending' && event.type !== 'TransactionPosted' && event.type !== 'TransactionVoided') continue;
      const data = event.data;
      if (data.app_id !== appId || data.currency !== currency || data.created_at.slice(0, 10) !== day) continue;
      if (event.type === 'TransactionPosted' && data.event_id !== null) continue; // counted when it was pending
      const sign = event.type === 'TransactionVoided' ? -1n : 1n;
      if (data.debit_account === house) net += sign * BigInt(data.amount);
      else if (data.credit_account === house) net -= sign * BigInt(data.amount);
    }
    return net;
  }

  /**
   * The outcome of the allowance and app-settings commands (null: not one of them, or
   * nothing to say beyond the checks above), and the currency check of every app command.
   */
  economyOracle(command: LedgerCommand, caller: string | null, nowMs: number): string | null {
    const currencyOk = (c: unknown) => typeof c === 'string' && /^[a-z][a-z0-9_]{0,31}$/.test(c);
    switch (command.type) {
      case 'SetAllowance':
        return currencyOk(command.data.currency) && /^[1-9][0-9]*$/.test(command.data.amount) && parseAmount(command.data.amount) !== null ? 'events' : 'VALIDATION_FAILED';
      case 'RemoveAllowance':
        if (!currencyOk(command.data.currency)) return 'VALIDATION_FAILED';
        return this.allowanceOf(command.data.currency) ? 'events' : 'NOT_FOUND';
      case 'ChangeAppSettings':
        return this.state.apps.has(command.data.app_id) ? 'events' : 'NOT_FOUND';
      case 'ClaimAllowance': {
        const { user_id, currency } = command.data;
        if (!currencyOk(currency) || !/^[A-Za-z0-9_.:-]{1,64}$/.test(user_id)) return 'VALIDATION_FAILED';
        if (!this.currencyAllowed(caller!, currency)) return 'FORBIDDEN:currency';
        const allowance = this.allowanceOf(currency);
        if (!allowance) return 'NOT_FOUND';
        const start = new Date(periodStartMs(allowance.period, nowMs)).toISOString();
        const again = this.log.some(
          (e) => e.type === 'AllowanceClaimed' && e.data.currency === currency && e.data.user_id === user_id && e.data.period === allowance.period && e.data.period_start === start,
        );
        return again ? 'CONFLICT' : 'events';
      }
      case 'PostTransaction':
      case 'Transfer':
        if (caller !== null && currencyOk(command.data.currency) && !this.currencyAllowed(caller, command.data.currency)) {
          // (fields are checked first: only a well-formed command gets this far)
          return /^[1-9][0-9]*$/.test(command.data.amount) && parseAmount(command.data.amount) !== null ? 'FORBIDDEN:currency' : null;
        }
        return null;
      default:
        return null;
    }
  }

  currencyAllowed(appId: string, currency: string): boolean {
    const currencies = this.settingsOf(appId).currencies;
    return currencies === null || currencies.includes(currency);
  }

  /** The currency's allowance from the log: the latest set, unless removed since. */
  allowanceOf(currency: string): { period: 'daily' | 'weekly' } | null {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const event = this.log[i];
      if (event.type === 'AllowanceSet' && event.data.currency === currency) return event.data;
      if (event.type === 'AllowanceRemoved' && event.data.currency === currency) return null;
    }
    return null;
  }

  /** A reversal's outcome, read from the log (not from the state's records, which it checks). */
  private reversalOracle(command: ReverseTransaction, caller: string | null, nowMs: number): string {
    const { transaction_id, amount } = command.data;
    if (amount !== null && !(/^[1-9][0-9]*$/.test(amount) && parseAmount(amount) !== null)) return 'VALIDATION_FAILED';
    if (command.data.description !== null && command.data.description.length > 500) return 'VALIDATION_FAILED';
    const mine = (app: string | null) => caller === null || app === caller;
    const pending = this.state.pendingTransactions.get(transaction_id);
    const events = this.log.flatMap((e) => ((e.type === 'TransactionPosted' || e.type === 'TransactionVoided') && e.data.transaction_id === transaction_id ? [e] : []));
    const original = events.find((e) => e.type === 'TransactionPosted')?.data as TransactionPosted | undefined;
    if (pending) return mine(pending.app_id) ? 'CONFLICT' : 'NOT_FOUND';
    if (events.length === 0) return 'NOT_FOUND';
    if (!mine(events[0].data.app_id)) return 'NOT_FOUND';
    // Voided, a reversal, or an accepted withdrawal or deposit (its money crossed `external`): never reversed.
    if (!original || original.reverses_transaction_id !== null) return 'CONFLICT';
    if (original.type === 'withdrawal' || original.type === 'deposit') {
      see('reversal of an accepted withdrawal or deposit refused');
      return 'CONFLICT';
    }
    const left = BigInt(original.amount) - this.reversedOf(transaction_id);
    const wanted = amount === null ? left : BigInt(amount);
    if (left === 0n || wanted > left) return 'LIMIT_EXCEEDED';
    if (isUserAccount(original.credit_account) && available(balanceOf(this.state, original.credit_account, original.currency)) < wanted) return 'INSUFFICIENT_FUNDS';
    // Reversing a debit moves money from the app's house to a user: it mints, within the app's daily limit.
    if (original.app_id !== null && original.credit_account === `house:${original.app_id}`) {
      const limit = this.settingsOf(original.app_id).mint_limit_per_day[original.currency];
      const used = this.mintedFromLog(original.app_id, original.currency, new Date(nowMs).toISOString().slice(0, 10));
      if (limit !== undefined && used + wanted > BigInt(limit)) {
        see('reversal of a debit beyond the mint limit');
        return 'LIMIT_EXCEEDED';
      }
    }
    return 'events';
  }

  /** The sum of the reversals of a transaction in the log. */
  reversedOf(transactionId: number): bigint {
    let sum = 0n;
    for (const e of this.log) if (e.type === 'TransactionPosted' && e.data.reverses_transaction_id === transactionId) sum += BigInt(e.data.amount);
    return sum;
  }

  /** An abort, checked for what it voids: each pending transaction voided (reason aborted) with its own event, then the event aborted. */
  abort(command: AbortEvent, sending: Sending): void {
    const { event_id } = command.data;
    const pendingBefore = [...(this.state.openEvents.get(event_id)?.pending ?? [])];
    const wasOpen = this.state.openEvents.has(event_id);
    this.send(command, sending.caller, sending.key, undefined, sending.apiKey, undefined, sending.deadline);
    if (wasOpen && this.state.settledEvents.get(event_id)?.status === 'aborted') {
      const appended = this.log.slice(this.log.length - pendingBefore.length - 1);
      expect(appended.map((e) => e.type)).toEqual([...pendingBefore.map(() => 'TransactionVoided'), 'EventAborted']);
      expect(appended.slice(0, -1).map((e) => [(e.data as { transaction_id: number }).transaction_id, (e.data as { reason: string }).reason])).toEqual(
        pendingBefore.map((id) => [id, 'aborted']),
      );
      expect(pendingBefore.filter((id) => this.state.pendingTransactions.has(id))).toEqual([]);
      see(pendingBefore.length > 0 ? 'aborted with voids' : 'aborted empty');
    }
  }

  /** A withdrawal of well-formed fields: the user's account, below the cap, then the funds available. */
  private withdrawalOracle(command: RequestWithdrawal, caller: string | null): string | undefined {
    const { user_id, amount: wanted, currency: cur, external_account_id } = command.data;
    if (!(/^[1-9][0-9]*$/.test(wanted) && parseAmount(wanted) !== null && /^[a-z][a-z0-9_]{0,31}$/.test(cur) && /^[A-Za-z0-9_.:-]{1,64}$/.test(user_id))) {
      return 'VALIDATION_FAILED';
    }
    if (caller !== null && !this.currencyAllowed(caller, cur)) return 'FORBIDDEN:currency';
    if (!this.state.external.accountOf(user_id, external_account_id)) return 'NOT_FOUND';
    if (this.state.external.withdrawals.countOf(user_id) >= MAX_WAITING_WITHDRAWALS_PER_USER) return 'LIMIT_EXCEEDED';
    return available(balanceOf(this.state, `user:${user_id}`, cur)) >= BigInt(wanted) ? 'events' : 'INSUFFICIENT_FUNDS';
  }

  sweep(): void {
    const now = this.decisionNow();
    for (const event_id of dueEvents(this.state, now)) {
      const before = this.state.openEvents.get(event_id)!;
      const pendingIds = [...before.pending];
      const sweep: SystemCommand = { type: 'ExpireEvent', data: { event_id } };
      const context = this.context(sweep, null, 'own', `sweep-${++this.counter}`, null);
      const decision = LEDGER.decide(sweep, this.state, context);
      expect(decision.kind === 'events' && decision.events.map((e) => e.type)).toEqual([
        ...pendingIds.map(() => 'TransactionVoided'),
        'EventExpired',
      ]);
      if (decision.kind !== 'events') return;
      // expiry voids exactly what was pending, in order, each with its own event, then the event expires
      const expired = decision.events[decision.events.length - 1];
      expect(expired.data).toEqual({ event_id, expired_at: now.toISOString() });
      expect(decision.events.slice(0, -1).map((e) => e.data)).toEqual(
        pendingIds.map((id) => ({ ...this.state.pendingTransactions.get(id), voided_at: now.toISOString(), reason: 'expired' })),
      );
      see(pendingIds.length > 0 ? 'expired with voids' : 'expired empty');
      this.apply(sweep, context, Number.POSITIVE_INFINITY, decision);
      expect(this.state.settledEvents.get(event_id)?.status).toBe('expired');
    }
    expect(dueEvents(this.state, now)).toEqual([]);
    // after a sweep no open event is past its deadline
    for (const finance of this.state.openEvents.values()) {
      must(now.getTime() < finance.expires_at_ms, `event ${finance.event_id} survived the sweep`);
    }
  }

  /** A restart from the snapshot, by a writer with this retention setting (another one: a rolling configuration change). */
  restart(retentionMs: number): void {
    const json = JSON.stringify(snapshot(this.state));
    if (this.state.openEvents.size > 0 && this.state.pendingTransactions.size > 0) see('restart with pending');
    if (this.state.external.withdrawals.byId.size > 0) see('restart with a withdrawal waiting');
    if (retentionMs !== this.retentionMs) see('restart with another retention');
    this.retentionMs = retentionMs;
    this.state = restarted(this.state, retentionMs);
    expect(JSON.stringify(snapshot(this.state))).toBe(json);
  }

  /** The command as it runs, aimed at the state it meets (see Aim). */
  aimed(command: LedgerCommand, aim: Aim, caller: string | null): LedgerCommand {
    const latest = () => this.latestEventOf(caller);
    switch (command.type) {
      case 'PingEvent':
        return aim.latestEvent ? { type: 'PingEvent', data: { event_id: latest() } } : command;
      case 'CloseEvent':
        return aim.latestEvent ? { type: 'CloseEvent', data: { event_id: latest() } } : command;
      case 'AbortEvent':
        return aim.latestEvent ? { type: 'AbortEvent', data: { event_id: latest() } } : command;
      case 'ReverseTransaction': {
        const posted = [...this.state.postedTransactions.reversible.keys()];
        const final = [...this.state.postedTransactions.final.keys()];
        const { original, reversible } = aim;
        let transaction_id = command.data.transaction_id;
        if (original?.among === 'posted' && posted.length > 0) transaction_id = posted[original.pick % posted.length];
        else if (original?.among === 'final' && final.length > 0) transaction_id = final[original.pick % final.length];
        else if (original?.among === 'any') transaction_id = 1 + (original.pick % this.state.nextTransactionId);
        const left = this.state.postedTransactions.reversible.get(transaction_id)?.reversible;
        let amount = command.data.amount;
        if (reversible === null) amount = null;
        else if (reversible && left !== undefined) amount = (left + BigInt(reversible.plus)).toString();
        return { type: 'ReverseTransaction', data: { ...command.data, transaction_id, amount } };
      }
      case 'PostTransaction': {
        const { data } = command;
        const event_id = aim.latestEvent && data.event_id !== null ? latest() : data.event_id;
        const amount = aim.amount ? this.relativeAmount(aim.amount, data.user_id, data.currency) : data.amount;
        return { type: 'PostTransaction', data: { ...data, event_id, amount } };
      }
      case 'Transfer': {
        const { data } = command;
        return aim.amount ? { type: 'Transfer', data: { ...data, amount: this.relativeAmount(aim.amount, data.from_user_id, data.currency) } } : command;
      }
      case 'RequestWithdrawal': {
        const data = { ...command.data, ...this.accountAimedAt(aim, command.data.user_id, command.data.external_account_id) };
        if (aim.amount) data.amount = this.relativeAmount(aim.amount, data.user_id, data.currency);
        return { type: 'RequestWithdrawal', data };
      }
      case 'RequestDeposit':
      case 'UnlinkExternalAccount':
        return { ...command, data: { ...command.data, ...this.accountAimedAt(aim, command.data.user_id, command.data.external_account_id) } } as LedgerCommand;
      case 'AcceptWithdrawal':
      case 'DeclineWithdrawal': {
        const id = this.requestAimedAt(aim, this.state.external.withdrawals, command.data.withdrawal_id);
        return { ...command, data: { ...command.data, withdrawal_id: id } } as LedgerCommand;
      }
      case 'AcceptDeposit':
      case 'DeclineDeposit': {
        const id = this.requestAimedAt(aim, this.state.external.deposits, command.data.deposit_id);
        return { ...command, data: { ...command.data, deposit_id: id } } as LedgerCommand;
      }
      default:
        return command;
    }
  }

  /** The latest linked account and its user (a well-formed generated user only, so field checks still meet bad ones), or the command's own. */
  accountAimedAt(aim: Aim, userId: string, own: number): { user_id: string; external_account_id: number } {
    if (!aim.latestAccount || !USERS.includes(userId)) return { user_id: userId, external_account_id: own };
    const latest = [...this.state.external.accounts.values()].pop();
    return latest ? { user_id: latest.user_id, external_account_id: latest.external_account_id } : { user_id: userId, external_account_id: own };
  }

  requestAimedAt(aim: Aim, requests: { byId: Map<number, unknown>; nextId: number }, own: number): number {
    if (aim.decide === 'oldestWaiting') return requests.byId.keys().next().value ?? own;
    if (aim.decide === 'latestGiven') return Math.max(1, requests.nextId - 1);
    return own;
  }

  relativeAmount(relative: NonNullable<Aim['amount']>, userId: string, currency: string): string {
    const balance = balanceOf(this.state, `user:${userId}`, currency);
    return ((relative.of === 'available' ? available(balance) : balance.posted) + BigInt(relative.plus)).toString();
  }

  /** A close, checked for what it settles: each pending transaction posted with its own event, then the event closed. */
  close(command: CloseEvent, sending: Sending): void {
    const { event_id } = command.data;
    const pendingBefore = [...(this.state.openEvents.get(event_id)?.pending ?? [])];
    const wasOpen = this.state.openEvents.has(event_id);
    this.send(command, sending.caller, sending.key, undefined, sending.apiKey, undefined, sending.deadline);
    const after = this.state.settledEvents.get(event_id);
    if (wasOpen && after?.status === 'closed') {
      const appended = this.log.slice(this.log.length - pendingBefore.length - 1);
      expect(appended.map((e) => e.type)).toEqual([...pendingBefore.map(() => 'TransactionPosted'), 'EventClosed']);
      expect(appended.slice(0, -1).map((e) => (e.data as { transaction_id: number }).transaction_id)).toEqual(pendingBefore);
      expect(appended[appended.length - 1].data).toEqual({ event_id, closed_at: expect.any(String) });
      expect(pendingBefore.filter((id) => this.state.pendingTransactions.has(id))).toEqual([]);
      if (pendingBefore.length > 0) see('closed with posts');
    }
  }

  run(step: Step): void {
    switch (step.t) {
      case 'command': {
        const command = this.aimed(step.command, step.aim, step.sending.caller);
        if (command.type === 'CloseEvent') return this.close(command, step.sending);
        if (command.type === 'AbortEvent') return this.abort(command, step.sending);
        const { caller, key, apiKey, deadline } = step.sending;
        return this.send(command, caller, key, undefined, apiKey, undefined, deadline);
      }
      case 'advance':
        this.now = new Date(this.now.getTime() + step.seconds * 1000);
        if (step.sweep) this.sweep();
        return;
      case 'sweep':
        return this.sweep();
      case 'restart':
        return this.restart(step.retentionMs);
      case 'startTerm': {
        const term = this.state.term;
        this.send({ type: 'StartTerm', data: { instance_id: 'writer-b' } }, null, null);
        expect(this.state.term).toBe(term + 1);
        return;
      }
      case 'retry': {
        if (this.sent.length === 0) return;
        const sent = this.sent[step.pick % this.sent.length];
        const key = sent.command_id.slice(sent.command_id.indexOf('/') + 1);
        // Same key and body: the first reply again. Same key, other body: refused as reused.
        return this.send(sent.command, sent.caller, key, step.tamper ? `${sent.request_hash}+tampered` : sent.request_hash!, sent.apiKey);
      }
      case 'resend': {
        // A command without a key sent again with its id (a gateway resending it after a takeover,
        // or a captured copy): before its deadline only, since the writer drops it after.
        const live = this.unkeyed.filter((sent) => this.decisionNow().getTime() < sent.deadline);
        if (live.length === 0) return;
        const sent = live[step.pick % live.length];
        return this.send(sent.command, sent.caller, null, undefined, sent.apiKey, sent);
      }
    }
  }

  /** The invariants that must hold after every step. */
  checkInvariants(): void {
    const state = this.state;
    const posted = new Map<string, bigint>();
    const pendingDebit = new Map<string, bigint>();
    const pendingCredit = new Map<string, bigint>();
    const add = (map: Map<string, bigint>, k: string, v: bigint) => map.set(k, (map.get(k) ?? 0n) + v);

    // what the pending transactions should hold, per account and currency
    const expectedDebit = new Map<string, bigint>();
    const expectedCredit = new Map<string, bigint>();
    let held = 0;
    for (const data of state.pendingTransactions.values()) {
      if (data.event_id === null) {
        // outside any finance event: only a withdrawal or deposit waiting for verification
        must(data.type === 'withdrawal' || data.type === 'deposit', `pending ${data.type} ${data.transaction_id} outside an event`);
        held += 1;
      } else {
        const finance = state.openEvents.get(data.event_id);
        must(finance !== undefined, `pending transaction ${data.transaction_id} outside an open event`);
        must(finance!.pending.includes(data.transaction_id), `transaction ${data.transaction_id} not listed by its event`);
      }
      add(expectedDebit, `${data.debit_account}|${data.currency}`, BigInt(data.amount));
      add(expectedCredit, `${data.credit_account}|${data.currency}`, BigInt(data.amount));
    }

    for (const [k, balance] of state.balances) {
      const at = k.lastIndexOf('|');
      const account = k.slice(0, at);
      const cur = k.slice(at + 1);
      add(posted, cur, balance.posted);
      add(pendingDebit, cur, balance.pendingDebit);
      add(pendingCredit, cur, balance.pendingCredit);
      // pending amounts are exactly the sums of the pending transactions
      must(balance.pendingDebit === (expectedDebit.get(k) ?? 0n), `${k}: pending debit ${balance.pendingDebit}`);
      must(balance.pendingCredit === (expectedCredit.get(k) ?? 0n), `${k}: pending credit ${balance.pendingCredit}`);
      must(state.currenciesOf.get(account)?.has(cur) === true, `${k} missing from currenciesOf`);
      if (isUserAccount(account)) {
        // a user wallet never goes negative, even counting every pending debit
        must(available(balance) >= 0n, `${k}: available ${available(balance)} < 0`);
        must(balance.posted >= 0n, `${k}: posted ${balance.posted} < 0`);
      }
    }
    for (const [cur, sum] of posted) {
      // double entry: per currency, all balances sum to zero, pending included
      must(sum === 0n, `${cur}: posted balances sum to ${sum}`);
      must(pendingDebit.get(cur) === pendingCredit.get(cur), `${cur}: pending debits ≠ pending credits`);
    }

    // an event is open or settled, never both; open events list exactly their pending transactions
    let listed = 0;
    for (const finance of state.openEvents.values()) {
      must(!state.settledEvents.has(finance.event_id), `event ${finance.event_id} is both open and settled`);
      for (const id of finance.pending) {
        must(state.pendingTransactions.get(id)?.event_id === finance.event_id, `event ${finance.event_id} lists unknown ${id}`);
      }
      listed += finance.pending.length;
    }
    must(listed + held === state.pendingTransactions.size, `open events list ${listed} (and requests hold ${held}) of ${state.pendingTransactions.size} pending transactions`);
    this.checkExternal(held);

    // remembered commands: none outlives its bound, and the oldest is always one still remembered
    for (const [memory, bound] of [[state.memory.keyed, LONGEST_RETENTION_MS], [state.memory.unkeyed, MAX_DEADLINE_AHEAD_MS]] as const) {
      for (const decided of memory.values()) {
        must(decided.remembered_until_ms <= state.memory.clockMs + bound, `a command remembered until ${decided.remembered_until_ms}`);
      }
      const oldest = memory.values().next().value;
      must(oldest === undefined || oldest.remembered_until_ms > state.memory.clockMs, 'an expired command was not forgotten');
    }
    if (this.log.length > 0 && state.memory.keyed.size < this.firstReplies.size) see('forgotten after the window');
    this.checkReversals();
    this.checkOutcomes();
    this.checkAllowances();
  }

  /**
   * No allowance is claimed twice by a user in a period, each claim posts its grant from the
   * treasury in the same append, and the ledger keeps only the current period's claimants.
   */
  checkAllowances(): void {
    const claims = new Set<string>();
    const users = new Map<string, string>();
    this.log.forEach((event, i) => {
      if (event.type !== 'AllowanceClaimed') return;
      const { currency, period, period_start, user_id, transaction_id, amount } = event.data;
      const claim = `${currency}|${period}|${period_start}|${user_id}`;
      must(!claims.has(claim), `${user_id} claimed the ${period} ${currency} allowance twice from ${period_start}`);
      claims.add(claim);
      const earlier = users.get(`${currency}|${period}|${user_id}`);
      if (earlier !== undefined && earlier !== period_start) see('claimed in a new period');
      users.set(`${currency}|${period}|${user_id}`, period_start);
      const grant = this.log[i + 1];
      must(
        grant?.type === 'TransactionPosted' && grant.data.transaction_id === transaction_id && grant.data.debit_account === 'treasury' && grant.data.amount === amount,
        `claim of transaction ${transaction_id} without its grant`,
      );
    });
    for (const [key, { period_start }] of this.state.allowanceClaims) {
      const latest = [...this.log].reverse().find((e) => e.type === 'AllowanceClaimed' && `${e.data.currency}|${e.data.period}` === key);
      must(latest?.type === 'AllowanceClaimed' && latest.data.period_start === period_start, `${key} holds the claimants of ${period_start}, not the latest period`);
    }
  }

  /**
   * A reversal never moves back more than its original in total, the way it came (accounts
   * swapped, same currency); what the state says is left to reverse of each posted transaction
   * is its amount less its reversals; every posted transaction has a record, every voided one,
   * every reversal and every accepted withdrawal or deposit (never reversed) a final one.
   */
  checkReversals(): void {
    const originals = new Map<number, TransactionPosted>();
    const reversed = new Map<number, bigint>();
    let posted = 0;
    let final = 0;
    for (const event of this.log) {
      if (event.type === 'TransactionVoided') final++;
      if (event.type !== 'TransactionPosted') continue;
      const data = event.data;
      const of = data.reverses_transaction_id;
      if (data.type === 'withdrawal' || data.type === 'deposit') {
        final++;
        continue;
      }
      if (of === null) {
        originals.set(data.transaction_id, data);
        posted++;
        continue;
      }
      final++;
      const original = originals.get(of);
      must(original !== undefined, `reversal ${data.transaction_id} of ${of}, not a posted transaction`);
      must(data.debit_account === original!.credit_account && data.credit_account === original!.debit_account && data.currency === original!.currency, `reversal ${data.transaction_id} moves other money`);
      const total = (reversed.get(of) ?? 0n) + BigInt(data.amount);
      must(total <= BigInt(original!.amount), `transaction ${of} reversed ${total} of ${original!.amount}`);
      reversed.set(of, total);
      if (total === BigInt(original!.amount)) see('reversed whole');
      else see('reversed in part');
    }
    const records = this.state.postedTransactions;
    must(records.reversible.size === posted, `${records.reversible.size} posted records for ${posted} posted transactions`);
    must(records.final.size === final, `${records.final.size} final records for ${final} voided, reversal, withdrawal and deposit transactions`);
    for (const [id, original] of originals) {
      const left = records.reversible.get(id)?.reversible;
      must(left === BigInt(original.amount) - (reversed.get(id) ?? 0n), `transaction ${id}: ${left} left to reverse`);
    }
  }

  /**
   * Each waiting withdrawal or deposit holds exactly its pending transaction (wallet to external,
   * or external to wallet, its amount and currency), from an account its user has linked; every
   * held transaction is a waiting request's; no user is past a cap; a payment reference belongs
   * to one waiting or accepted deposit at most (each waiting deposit's own included).
   */
  checkExternal(held: number): void {
    const external = this.state.external;
    const requests: Array<[string, Map<number, { transaction_id: number; user_id: string; amount: string; currency: string; external_account_id: number }>, number]> = [
      ['withdrawal', external.withdrawals.byId, MAX_WAITING_WITHDRAWALS_PER_USER],
      ['deposit', external.deposits.byId, MAX_WAITING_DEPOSITS_PER_USER],
    ];
    let waiting = 0;
    for (const [type, byId, maximum] of requests) {
      const perUser = new Map<string, number>();
      for (const request of byId.values()) {
        const data = this.state.pendingTransactions.get(request.transaction_id) as TransactionData | undefined;
        must(data?.type === type, `${type} holds no pending ${type} transaction ${request.transaction_id}`);
        const wallet = `user:${request.user_id}`;
        const [from, to] = type === 'withdrawal' ? [wallet, 'external'] : ['external', wallet];
        must(data!.debit_account === from && data!.credit_account === to, `${type} ${request.transaction_id} moves ${data!.debit_account} → ${data!.credit_account}`);
        must(data!.amount === request.amount && data!.currency === request.currency, `${type} ${request.transaction_id} holds another amount`);
        must(external.accountOf(request.user_id, request.external_account_id) !== undefined, `${type} of an unlinked account`);
        perUser.set(request.user_id, (perUser.get(request.user_id) ?? 0) + 1);
        waiting += 1;
      }
      for (const [userId, count] of perUser) must(count <= maximum, `${userId} has ${count} ${type}s waiting`);
    }
    must(waiting === held, `${waiting} requests waiting, ${held} transactions held`);
    // From the log alone: each deposit's payment, and which deposits were declined.
    const paymentOf = new Map<number, string>();
    const declined = new Set<number>();
    for (const event of this.log) {
      if (event.type === 'DepositReferenceRecorded') paymentOf.set(event.data.deposit_id, event.data.reference_hash);
      if (event.type === 'DepositDeclined') declined.add(event.data.deposit_id);
    }
    const kept = new Map<string, number>();
    for (const [depositId, payment] of paymentOf) {
      if (declined.has(depositId)) continue;
      must(!kept.has(payment), `deposits ${kept.get(payment)} and ${depositId} both credit one payment`);
      kept.set(payment, depositId);
    }
    must(JSON.stringify([...kept].sort()) === JSON.stringify([...external.depositReferences].sort()), 'the payments the ledger keeps are not those of its waiting and accepted deposits');
    if (kept.size > external.deposits.byId.size) see('a payment kept by an accepted deposit');
    const accountsPerUser = new Map<string, number>();
    for (const account of external.accounts.values()) accountsPerUser.set(account.user_id, (accountsPerUser.get(account.user_id) ?? 0) + 1);
    for (const [userId, count] of accountsPerUser) must(count <= MAX_EXTERNAL_ACCOUNTS_PER_USER, `${userId} has ${count} accounts`);
  }

  /**
   * Every transaction that left pending got exactly one TransactionPosted or TransactionVoided
   * (and one still pending none); a transaction posted at once was never pending.
   */
  checkOutcomes(): void {
    const pending = new Set<number>();
    const outcomes = new Map<number, number>();
    for (const event of this.log) {
      const data = event.data as TransactionData;
      if (event.type === 'TransactionPending') pending.add(data.transaction_id);
      const settles = (event.type === 'TransactionPosted' && wasPending(data)) || event.type === 'TransactionVoided';
      if (settles) {
        must(pending.has(data.transaction_id), `${event.type} of transaction ${data.transaction_id}, never pending`);
        outcomes.set(data.transaction_id, (outcomes.get(data.transaction_id) ?? 0) + 1);
      } else if (event.type === 'TransactionPosted') {
        must(!pending.has(data.transaction_id), `transaction ${data.transaction_id} posted at once and pending`);
      }
    }
    for (const id of pending) {
      const expected = this.state.pendingTransactions.has(id) ? 0 : 1;
      must((outcomes.get(id) ?? 0) === expected, `transaction ${id} has ${outcomes.get(id) ?? 0} outcomes, not ${expected}`);
    }
  }

  /**
   * The live state equals a fresh fold of every event it wrote, whatever the folding writer's
   * retention setting: every event says until when its command is remembered.
   */
  checkReplay(): void {
    for (const retentionMs of OTHER_RETENTIONS_MS) {
      const folded = new LedgerState(retentionMs);
      for (const event of this.log) evolve(folded, event);
      expect(snapshot(folded)).toEqual(snapshot(this.state));
    }
    const rebuilt = new LedgerState(RETENTION_MS);
    for (const event of this.log) evolve(rebuilt, event);
    expect(snapshot(rebuilt)).toEqual(snapshot(this.state));
    // the indexes snapshots leave out agree too
    expect([...rebuilt.openEvents.keys()].sort()).toEqual([...this.state.openEvents.keys()].sort());
    expect(new Map(rebuilt.keyOwners)).toEqual(new Map(this.state.keyOwners));
    expect(new Map(rebuilt.currenciesOf)).toEqual(new Map(this.state.currenciesOf));
    expect(JSON.parse(JSON.stringify(snapshot(rebuilt)))).toEqual(JSON.parse(JSON.stringify(snapshot(this.state))));
    // the same history as a v1 store held it folds, through the upcaster, into the same state
    // (but for the revision: it has no per-transaction settlements, so fewer events)
    const fromV1 = new LedgerState(RETENTION_MS);
    for (const stored of asV1Store(this.log)) evolve(fromV1, upcastEvent(stored) as AppliedEvent);
    expect({ ...snapshot(fromV1), revision: '' }).toEqual({ ...snapshot(this.state), revision: '' });
  }
}

/**
 * A log as a v1 store would hold it: pings named EventPinged, transactions with `kind`, no
 * TransactionPosted for a pending transaction and no TransactionVoided (the close and the
 * expiry list their ids instead), every event marked schema_version 1.
 */
function asV1Store(log: AppliedEvent[]): Array<{ type: string; data: unknown; metadata: Record<string, unknown> }> {
  const stored: Array<{ type: string; data: unknown; metadata: Record<string, unknown> }> = [];
  const settledBy = new Map<number, number[]>();
  const v1Transaction = ({ type, posted_at: _posted, voided_at: _voided, reason: _reason, ...data }: Record<string, unknown>) => ({
    ...data,
    kind: type,
  });
  for (const event of log) {
    const metadata = { ...event.metadata, schema_version: 1 };
    const data = event.data as unknown as Record<string, unknown>;
    // Withdrawals and deposits came after v1: a v1 store goes on with them at today's versions.
    if (event.type.startsWith('Transaction') && (data.type === 'withdrawal' || data.type === 'deposit')) {
      stored.push({ type: event.type, data, metadata: { ...metadata, schema_version: EVENT_SCHEMA_VERSIONS[event.type] } });
      continue;
    }
    switch (event.type) {
      case 'Pinged':
        stored.push({ type: 'EventPinged', data, metadata });
        break;
      case 'TransactionPending':
        stored.push({ type: event.type, data: v1Transaction(data), metadata });
        break;
      case 'TransactionPosted':
      case 'TransactionVoided':
        // Reversals came long after v1: a store holding them holds them as written.
        if (data.reverses_transaction_id !== null) stored.push({ type: event.type, data, metadata: { ...event.metadata } });
        else if (data.event_id === null) stored.push({ type: event.type, data: v1Transaction(data), metadata });
        else settledBy.set(data.event_id as number, [...(settledBy.get(data.event_id as number) ?? []), data.transaction_id as number]);
        break;
      case 'EventClosed':
        stored.push({ type: event.type, data: { ...data, posted_transaction_ids: settledBy.get(event.data.event_id) ?? [] }, metadata });
        break;
      case 'EventExpired':
        stored.push({ type: event.type, data: { ...data, voided_transaction_ids: settledBy.get(event.data.event_id) ?? [] }, metadata });
        break;
      default:
        stored.push({ type: event.type, data, metadata });
    }
  }
  return stored;
}

/** Random command sequences per batch. */
const RUNS = 250;
/**
 * Batches run beyond the first while an outcome below is still unseen (see the test). Three were
 * enough before the economy's commands joined the mix; with some forty kinds of step, outcomes
 * that need three steps in order (set an allowance, claim, cross a UTC midnight, claim again) are
 * missed by four batches now and then, so more run, only while one is unseen. Eight were missed
 * once in about ten clean runs (CI, 2026-12-01: "claimed in a new period") once deposits and
 * decided refusals joined the mix: sixteen.
 */
const EXTRA_BATCHES = 16;
/** Outcomes the generators must reach: the property proves little about paths it never walks. */
const COVERED: readonly string[] = [
  'pending',
  'short only because of pending debits',
  'short only because credits are pending',
  'closed with posts',
  'expired with voids',
  'restart with pending',
  'PostTransaction:events',
  'PostTransaction:INSUFFICIENT_FUNDS',
  'PostTransaction:EVENT_NOT_OPEN',
  'PostTransaction:NOT_FOUND',
  'PostTransaction:VALIDATION_FAILED',
  'PostTransaction:replay',
  'refusal replayed',
  'PostTransaction:IDEMPOTENCY_KEY_REUSED',
  'PingEvent:events',
  'PingEvent:EVENT_NOT_OPEN',
  'CloseEvent:events',
  'Transfer:events',
  'Transfer:INSUFFICIENT_FUNDS',
  'Grant:events',
  'Grant:FORBIDDEN',
  'OpenEvent:FORBIDDEN',
  'PostTransaction:UNAUTHENTICATED',
  'RegisterApp:events',
  'IssueApiKey:NOT_FOUND',
  'RevokeApiKey:events',
  'RevokeApiKey:NOT_FOUND',
  'AbortEvent:events',
  'AbortEvent:EVENT_NOT_OPEN',
  'aborted with voids',
  'ReverseTransaction:events',
  'ReverseTransaction:LIMIT_EXCEEDED',
  'ReverseTransaction:CONFLICT',
  'ReverseTransaction:NOT_FOUND',
  'ReverseTransaction:INSUFFICIENT_FUNDS',
  'ReverseTransaction:replay',
  'reversed whole',
  'reversed in part',
  'retried after the window',
  'forgotten after the window',
  'resent before its deadline',
  'dropped past its deadline',
  'decided while the clock lagged',
  'restart with another retention',
  'remembered for the window it was decided with',
  'ClaimAllowance:events',
  'ClaimAllowance:CONFLICT',
  'ClaimAllowance:NOT_FOUND',
  'ChangeAppSettings:events',
  'PostTransaction:FORBIDDEN',
  'PostTransaction:LIMIT_EXCEEDED',
  'credit within a limit', // (after other moves that day too, now and then: given/when/then pins that one down)
  'claimed in a new period',
  'LinkExternalAccount:events',
  'LinkExternalAccount:CONFLICT',
  'UnlinkExternalAccount:events',
  'UnlinkExternalAccount:CONFLICT',
  'RequestWithdrawal:events',
  'RequestWithdrawal:INSUFFICIENT_FUNDS',
  'RequestWithdrawal:NOT_FOUND',
  'AcceptWithdrawal:events',
  'AcceptWithdrawal:CONFLICT',
  'DeclineWithdrawal:events',
  'AcceptWithdrawal:FORBIDDEN',
  'RequestDeposit:events',
  'RequestDeposit:CONFLICT', // a payment reported again
  'a payment kept by an accepted deposit',
  'AcceptDeposit:events',
  'DeclineDeposit:events',
  'restart with a withdrawal waiting',
  'reversal of an accepted withdrawal or deposit refused',
];

describe('ledger properties', () => {
  it('random command sequences keep money exact, and the state equals a fresh fold of its events', () => {
    let steps = 0;
    let accepted = 0;
    const runs = (numRuns: number) =>
      fc.assert(
        fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), (plan) => {
          const run = new Run();
          run.checkInvariants();
          for (const s of plan) {
            run.run(s);
            run.checkInvariants();
          }
          run.checkReplay();
          steps += plan.length;
          accepted += run.log.length;
        }),
        { numRuns },
      );
    runs(RUNS);
    // The rarest outcomes below are reached a handful of times per 250 runs, so one batch misses
    // one now and then by chance alone: a few more batches (invariants checked in them too) make
    // "the generators never reach it" the only way to fail, with a bound on the time it costs.
    for (let batch = 1; batch <= EXTRA_BATCHES && COVERED.some((label) => !seen.has(label)); batch += 1) runs(RUNS);
    // the generators reach real behaviour, not only refusals
    expect(steps).toBeGreaterThan(RUNS * 20);
    expect(accepted).toBeGreaterThan(steps / 4);
    if (process.env.LEDGER_PROPERTY_STATS) console.log([...seen].sort().map(([k, v]) => `${k} ${v}`).join("\n"));
    for (const label of COVERED) {
      expect([label, (seen.get(label) ?? 0) > 0]).toEqual([label, true]);
    }
  });
});
