import { refusal, type Refusal } from '@coffer/contracts';
import { CommandMemory, type CommandMetadata } from './command-memory';
import { decideCommand, recordsRefusal, refusalIn, remembersRefusal, type Decider } from './decider';
import { commandAudit, stampFor } from './event-metadata';
import type { DomainEventType } from '@coffer/contracts';

/** A counter: the smallest domain with events, refusals and a command memory. */
interface Add {
  by: number;
}
type CounterEvent = ({ type: 'Added'; data: { by: number } } | { type: 'Refused'; data: Refusal }) & { metadata?: CommandMetadata };
interface Counter {
  total: number;
  memory: CommandMemory<number | null>;
}
interface Context {
  now: Date;
  command_id: string;
  request_hash: string | null;
}

const counter: Decider<Add, CounterEvent, Counter, Context, { total: number }, number | null> = {
  initialState: () => ({ total: 0, memory: new CommandMemory<number | null>(60_000, (_previous, next) => next) }),
  decide: (command, state, context) => {
    const decided = state.memory.recall(context.command_id, context.request_hash !== null, context.now.getTime());
    if (decided) return { kind: 'replay', decided };
    if (command.by <= 0) return { kind: 'refused', refusal: refusal('VALIDATION_FAILED', 'add a positive number') };
    return { kind: 'events', events: [{ type: 'Added', data: { by: command.by } }] };
  },
  evolve: (state, event) => {
    if (event.type === 'Added') state.total += event.data.by;
    const nowMs = state.memory.advance(event.metadata, event, () => undefined);
    if (event.type === 'Refused') {
      if (remembersRefusal(event.data, event.metadata)) state.memory.remember(event.metadata, nowMs, undefined, null, refusalIn(event.data));
    }
    else state.memory.remember(event.metadata, nowMs, undefined, state.total);
    return state;
  },
  reply: (_command, _events, stateAfter) => ({ total: stateAfter.total }),
  replay: (_command, remembered) => ({ total: remembered.reply as number }),
  refused: (refused) => ({ type: 'Refused', data: refused }),
};

const NOW = new Date('2026-01-01T00:00:00Z');
const keyed = (command_id: string): Context => ({ now: NOW, command_id, request_hash: `hash-of-${command_id}` });
const stamp = (context: Context) => (event: CounterEvent): CounterEvent => ({
  ...event,
  metadata: { command_id: context.command_id, request_hash: context.request_hash, decided_at_epoch_ms: NOW.getTime(), deadline_epoch_ms: NOW.getTime() + 5000 },
});
const run = (state: Counter, command: Add, context: Context) => decideCommand(counter, command, state, context, stamp(context));

describe('decideCommand: the one path of a command through a writer', () => {
  it('folds the events in and answers the reply built from the state after them, at the batch position', () => {
    const state = counter.initialState();
    const decided = run(state, { by: 2 }, keyed('a'));
    expect(decided.events.map((event) => event.type)).toEqual(['Added']);
    expect(decided.events[0].metadata?.command_id).toBe('a');
    expect(state.total).toBe(2);
    expect(decided.answer('17')).toEqual({ ok: true, result: { result: { total: 2 }, position: '17', replayed: false } });
  });

  it('records the refusal of a keyed command, so its retry gets the same refusal even once the state has changed', () => {
    const state = counter.initialState();
    const refused = run(state, { by: 0 }, keyed('b'));
    expect(refused.events).toMatchObject([{ type: 'Refused', data: { code: 'VALIDATION_FAILED' }, metadata: { command_id: 'b' } }]);
    run(state, { by: 5 }, keyed('c'));
    const retry = run(state, { by: 0 }, keyed('b'));
    expect(retry.events).toEqual([]);
    expect(retry.answer('99')).toEqual(refused.answer('42'));
    expect(retry.answer('99')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
  });

  it('records a refusal without a key too (the audit trail), but does not answer a resend of it from memory', () => {
    const state = counter.initialState();
    const context = { now: NOW, command_id: 'd', request_hash: null };
    const refused = run(state, { by: -1 }, context);
    expect(refused.events).toMatchObject([{ type: 'Refused', data: { code: 'VALIDATION_FAILED' }, metadata: { command_id: 'd', request_hash: null } }]);
    expect(refused.answer('')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(state.memory.unkeyed.has('d')).toBe(false);
  });

  it('records nothing for a 503: nothing was decided', () => {
    const state = counter.initialState();
    const away = refusal('UNAVAILABLE', 'the writer is away');
    const decided = decideCommand(counter, { by: 1 }, state, keyed('u'), stamp(keyed('u')), { kind: 'refused', refusal: away });
    expect(decided.events).toEqual([]);
  });

  it('answers a replay with the first answer, where its events landed', () => {
    const state = counter.initialState();
    run(state, { by: 3 }, keyed('e'));
    state.memory.keyed.get('e')!.position = '7';
    run(state, { by: 4 }, keyed('f'));
    expect(run(state, { by: 3 }, keyed('e')).answer('12')).toEqual({ ok: true, result: { result: { total: 3 }, position: '7', replayed: true } });
  });

  it('takes a refusal the writer decided itself (a poisoned command) through the same recording', () => {
    const state = counter.initialState();
    const poison = refusal('VALIDATION_FAILED', 'the event store cannot hold what this command would record');
    const decided = decideCommand(counter, { by: 1 }, state, keyed('g'), stamp(keyed('g')), { kind: 'refused', refusal: poison });
    expect(decided.events).toMatchObject([{ type: 'Refused', data: poison }]);
    expect(state.total).toBe(0);
  });
});

describe('recordsRefusal', () => {
  it.each([
    ['a refusal of a keyed request', 'NOT_FOUND', 'hash', true],
    ['a request without a key', 'NOT_FOUND', null, false],
    ['a reused key (the key belongs to its first request)', 'IDEMPOTENCY_KEY_REUSED', 'hash', false],
    ['a refusal of the caller', 'FORBIDDEN', 'hash', false],
    ['a 503 (nothing was decided)', 'UNAVAILABLE', 'hash', false],
  ] as const)('%s: %p', (_what, code, requestHash, recorded) => {
    expect(recordsRefusal({ code }, requestHash)).toBe(recorded);
  });
});

describe('commandAudit: what the audit trail reads of a command from its events', () => {
  it('names the command type and the users its data names, once each, and only ids the store can hold', () => {
    expect(commandAudit({ type: 'Transfer', data: { from_user_id: 'ann', to_user_id: 'bob', amount: '3' } })).toEqual({ command_type: 'Transfer', user_ids: ['ann', 'bob'] });
    expect(commandAudit({ type: 'Transfer', data: { from_user_id: 'ann', to_user_id: 'ann' } })).toEqual({ command_type: 'Transfer', user_ids: ['ann'] });
    expect(commandAudit({ type: 'PostTransaction', data: { user_id: 'a\u0000b' } })).toEqual({ command_type: 'PostTransaction' });
    expect(commandAudit({ type: 'AcceptWithdrawal', data: { withdrawal_id: 4 } })).toEqual({ command_type: 'AcceptWithdrawal' });
    expect(commandAudit({ type: 'StartTerm', data: null })).toEqual({ command_type: 'StartTerm' });
  });

  it('stamps who and what on every event of a command: its type, users and the admin token that sent it', () => {
    const meta = { correlation_id: 'corr', command_id: 'cmd', app_id: null, key_id: null, admin_token_id: 'adm_1', deadline_epoch_ms: NOW.getTime() + 1000 };
    const stamp = stampFor<{ type: DomainEventType; data: object }>(meta, { now: NOW, request_hash: null }, 60_000, { type: 'Grant', data: { user_id: 'ann' } });
    const stamped = stamp({ type: 'TransactionPosted', data: {} });
    expect(stamped.metadata).toMatchObject({ admin_token_id: 'adm_1', command_type: 'Grant', user_ids: ['ann'], correlation_id: 'corr' });
  });
});
