/**
 * decide() is total over any JSON: a command reaches the ledger as JSON over NATS, possibly not
 * from the gateway, with wrong types, missing or extra fields, hostile text or deep nesting.
 * Whatever it is given, decide never throws, and everything it decides into the store (events,
 * and the refusal a keyed command records) passes the value rules; the events also evolve.
 */
import fc from 'fast-check';
import {
  AMOUNT_PATTERN,
  isAppName,
  isAppScope,
  isCurrency,
  isDescription,
  isId,
  jsonValueProblem,
  parseUserId,
  type LedgerEvent,
} from '@coffer/contracts';
import { anyJson, deepJson, fieldValue as fieldValueOf, hostileText } from '@coffer/testing';
import { decide, type CommandSender, type Decision } from './decide';
import { recordedRefusal } from './decider';
import { evolve } from './evolve';
import {
  apiKeyIssued,
  appRegistered,
  defaultContext,
  eventOpened,
  given,
  granted,
  iso,
  keyOf,
  pending,
  SNOWFLAKE,
  withMetadata,
} from '../../test/given-when-then';

const COMMAND_TYPES = [
  'PayReward',
  'RegisterApp',
  'IssueApiKey',
  'RevokeApiKey',
  'OpenEvent',
  'PingEvent',
  'CloseEvent',
  'PostTransaction',
  'Transfer',
  'Grant',
  'ExpireEvent',
  'StartTerm',
  'ChangeAppSettings',
  'SetAllowance',
  'RemoveAllowance',
  'ClaimAllowance',
] as const;
const FIELDS = [
  'name',
  'key_id',
  'key_hash',
  'app_id',
  'description',
  'event_id',
  'user_id',
  'type',
  'amount',
  'currency',
  'from_user_id',
  'to_user_id',
  'instance_id',
  'scopes',
  'currencies',
  'mint_limit_per_day',
  'period',
];

/** Values each field takes when it is right, so that decide gets past validation often. */
const plausible = fc.constantFrom<unknown>(
  'app_1',
  'k1',
  'alice',
  SNOWFLAKE,
  'credit',
  'debit',
  '1',
  '15',
  'coins',
  'gems',
  1,
  2,
  null,
  'A name',
  'a description',
  'daily',
  'weekly',
  ['coins'],
  ['finance:write', 'transfers'],
  { coins: '5' },
  { __proto__: '5' },
);
const fieldValue = fieldValueOf(plausible, hostileText(), deepJson('nested'));
const deep = deepJson('nested');
/** A valid command of each type, so that changing a field or two of it reaches past validation. */
const VALID = [
  { type: 'RegisterApp', data: { name: 'Poker', key_id: 'k2', key_hash: 'h2' } },
  { type: 'IssueApiKey', data: { app_id: 'app_1', key_id: 'k3', key_hash: 'h3' } },
  { type: 'RevokeApiKey', data: { app_id: 'app_1', key_id: 'k1' } },
  { type: 'OpenEvent', data: { description: 'round 1' } },
  { type: 'PingEvent', data: { event_id: 1 } },
  { type: 'CloseEvent', data: { event_id: 1 } },
  { type: 'PostTransaction', data: { user_id: 'alice', event_id: null, type: 'debit', amount: '1', currency: 'coins', description: 'bet' } },
  { type: 'Transfer', data: { from_user_id: 'alice', to_user_id: SNOWFLAKE, amount: '1', currency: 'coins', description: null } },
  { type: 'Grant', data: { user_id: 'bob', amount: '10', currency: 'gems', description: null } },
  { type: 'PayReward', data: { user_id: 'alice', amount: '5', currency: 'coins', description: 'first win' } },
  { type: 'ExpireEvent', data: { event_id: 1 } },
  { type: 'StartTerm', data: { instance_id: 'writer-b' } },
  { type: 'ChangeAppSettings', data: { app_id: 'app_1', scopes: ['finance:write'], currencies: ['coins'], mint_limit_per_day: { coins: '50' } } },
  { type: 'SetAllowance', data: { currency: 'coins', amount: '5', period: 'daily' } },
  { type: 'RemoveAllowance', data: { currency: 'coins' } },
  { type: 'ClaimAllowance', data: { user_id: 'alice', currency: 'coins' } },
];
/**
 * Who sends a command of each type when it may (the ledger its own commands, achievements its
 * rewards, the gateway the rest), so that every type's fields are fuzzed past the sender check;
 * now and then anyone else, who must be refused whatever the command.
 */
const RIGHTFUL_SENDER: Record<string, CommandSender> = { PayReward: 'achievements', ExpireEvent: 'ledger', StartTerm: 'ledger' };
const SENDERS: CommandSender[] = ['gateway', 'achievements', 'ledger'];
const senderFor = (command: unknown) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant<CommandSender>(RIGHTFUL_SENDER[(command as { type?: unknown } | null)?.type as string] ?? 'gateway') },
    { weight: 1, arbitrary: fc.constantFrom(...SENDERS) },
  );
const commandLike = fc.oneof(
  {
    weight: 6,
    // A field or two of the data changed, and now and then the envelope itself (its type, its data).
    arbitrary: fc
      .tuple(
        fc.constantFrom(...VALID),
        fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 2 }),
        fc.dictionary(fc.constantFrom('type', 'data'), fieldValue, { maxKeys: 1 }),
      )
      .map(([valid, fields, envelope]) => ({ ...valid, data: { ...valid.data, ...fields }, ...envelope })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom(...COMMAND_TYPES),
      data: fc.record(Object.fromEntries(FIELDS.map((f) => [f, fieldValue])), { requiredKeys: [] }),
    }),
  },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: deep },
);
const context = fc.record({
  app_id: fc.constantFrom('app_1', null),
  request_hash: fc.constantFrom(null, 'hash-1'),
  command_id: fc.constantFrom('c1', 'c2'),
});
const commandAndContext = commandLike.chain((command) =>
  fc.tuple(fc.constant(command), context, senderFor(command)).map(([c, ctx, sender]) => ({ command: c, ctx: { ...ctx, sender } })),
);

/** A ledger with an app and its key, a funded user and an open event with a pending debit. */
const history = () =>
  given(
    appRegistered('app_1'),
    apiKeyIssued('app_1', keyOf('app_1')),
    granted(1, 'alice', 100),
    eventOpened(1),
    pending(2, 1, 'debit', 'alice', 5),
    { type: 'AllowanceSet', data: { currency: 'coins', amount: '5', period: 'daily', set_at: iso(0) } },
  );

/** What the value rules ask of each kind of event beyond plain JSON text. */
function eventProblem(event: LedgerEvent): string | null {
  const general = jsonValueProblem(event.data);
  if (general) return general;
  switch (event.type) {
    case 'AppRegistered':
      return isAppName(event.data.name) && isId(event.data.app_id) ? null : 'app name or id';
    case 'ApiKeyIssued':
      return isId(event.data.key_id) && isId(event.data.key_hash) ? null : 'key id or hash';
    case 'EventOpened':
      return isDescription(event.data.description) ? null : 'description';
    case 'AppSettingsChanged': {
      const { scopes, currencies, mint_limit_per_day: limits } = event.data;
      const listed = (list: unknown[] | null, valid: (value: unknown) => boolean) => list === null || (Array.isArray(list) && list.every(valid));
      const ok = listed(scopes, isAppScope) && listed(currencies, isCurrency) && Object.entries(limits).every(([c, a]) => isCurrency(c) && AMOUNT_PATTERN.test(a));
      return ok ? null : 'scopes, currencies or mint limits';
    }
    case 'AllowanceSet':
      return isCurrency(event.data.currency) && AMOUNT_PATTERN.test(event.data.amount) ? null : 'currency or amount';
    case 'AllowanceClaimed':
      return parseUserId(event.data.user_id) === event.data.user_id && isCurrency(event.data.currency) ? null : 'user id or currency';
    case 'TransactionPending':
    case 'TransactionPosted':
    case 'TransactionVoided': {
      const data = event.data;
      const users = [data.user_id, ...[data.debit_account, data.credit_account].filter((a) => a.startsWith('user:')).map((a) => a.slice(5))];
      if (!users.every((user) => parseUserId(user) === user)) return 'user id';
      return AMOUNT_PATTERN.test(data.amount) && isDescription(data.description) ? null : 'amount or description';
    }
    default:
      return null;
  }
}

function checkDecision(decision: Decision, keyed: { request_hash: string | null }): void {
  if (decision.kind === 'refused') {
    expect(jsonValueProblem(decision.refusal)).toBeNull();
    const recorded = recordedRefusal(decision.refusal, keyed);
    if (recorded) expect(jsonValueProblem(recorded.data)).toBeNull();
    return;
  }
  if (decision.kind !== 'events') return;
  for (const event of decision.events) expect({ type: event.type, problem: eventProblem(event) }).toEqual({ type: event.type, problem: null });
}

describe('ledger decide over any JSON', () => {
  it('never throws, and decides only events and refusals that pass the value rules', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(commandAndContext, ({ command, ctx }) => {
        const state = history();
        // Rewards are paid by an app (and the ledger's own commands have none), as their senders send them.
        const app_id = ctx.sender === 'ledger' ? null : ctx.app_id;
        const overrides = ctx.sender === 'gateway' ? { ...ctx, app_id } : { ...ctx, app_id, key_id: null }; // only apps' own calls carry a key
        const decision = decide(command as never, state, defaultContext(overrides));
        const type = (command as { type?: unknown } | null)?.type;
        seen.add(decision.kind === 'refused' ? decision.refusal.code : decision.kind);
        if (typeof type === 'string') seen.add(`${type}:${decision.kind === 'refused' ? decision.refusal.code : decision.kind}`);
        checkDecision(decision, ctx);
        if (decision.kind === 'events') {
          for (const event of decision.events) evolve(state, withMetadata(event, ctx.command_id, ctx.request_hash));
        }
      }),
      { numRuns: 3000 },
    );
    // The generators reach past validation, not only into it, for every type's rightful sender.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'events', 'FORBIDDEN', ...['PayReward', 'StartTerm', 'ExpireEvent', 'Grant', 'ChangeAppSettings', 'SetAllowance', 'ClaimAllowance'].flatMap((t) => [`${t}:events`, `${t}:VALIDATION_FAILED`])]),
    );
  });

  it.each([
    ['a number for a string', { type: 'PostTransaction', data: { user_id: 5, event_id: null, type: 'credit', amount: '1', currency: 'coins', description: null } }],
    ['an object for an amount', { type: 'Grant', data: { user_id: 'alice', amount: { value: '1' }, currency: 'coins', description: null } }],
    ['a number for an amount', { type: 'Grant', data: { user_id: 'alice', amount: 1, currency: 'coins', description: null } }],
    ['missing fields', { type: 'Transfer' , data: {} }],
    ['extra nesting', { type: 'OpenEvent', data: { description: [['x']] } }],
    ['a name that is a number', { type: 'RegisterApp', data: { name: 7, key_id: 'k2', key_hash: 'h' } }],
    ['NUL in a description', { type: 'OpenEvent', data: { description: 'a\u0000b' } }],
    ['a lone surrogate in an app name', { type: 'RegisterApp', data: { name: 'n\ud800', key_id: 'k2', key_hash: 'h' } }],
    ['a C1 control in a transfer description', { type: 'Transfer', data: { from_user_id: 'alice', to_user_id: 'bob', amount: '1', currency: 'coins', description: '\u0085' } }],
    ['an array', ['PostTransaction']],
    ['null', null],
    ['a string', 'Grant'],
    ['an unknown type', { type: 'MintMoney' }],
    ['a type that is an object', { type: { toString: 'Grant' } }],
  ])('refuses %s with VALIDATION_FAILED from a caller who may send its type, and never throws for another', (_case, command) => {
    // Who may ask comes before what is asked (it reads only the type): the admin and an app each
    // may send some types; for the other one the answer is FORBIDDEN.
    const codes = ['app_1', null].map((app_id) => {
      const decision = decide(command as never, history(), defaultContext({ app_id }));
      return decision.kind === 'refused' ? decision.refusal.code : decision.kind;
    });
    expect(codes).toContain('VALIDATION_FAILED');
    expect(codes.filter((code) => code !== 'VALIDATION_FAILED')).toEqual(codes.includes('FORBIDDEN') ? ['FORBIDDEN'] : []);
  });
});
