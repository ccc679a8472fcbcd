import type { ReplayedEvent } from '@coffer/event-store';
import { foldAuditTrail, MAX_AUDIT_USER_IDS } from './audit-trail';

const AT = Date.parse('2026-11-30T12:00:00Z');
let position = 100n;

/** An event as a replay reads it, caused by command `command_id` decided at AT. */
function event(type: string, data: object, metadata: Record<string, unknown>): ReplayedEvent {
  return { type, data, globalPosition: position++, occurredAt: new Date(AT + 5), metadata: { schema_version: 1, decided_at_epoch_ms: AT, ...metadata } };
}

describe('the audit trail fold', () => {
  it("folds a command's events into one row: who, what, its events once each, and its users", () => {
    const who = { command_id: 'c1', correlation_id: 'corr-1', app_id: 'app_1', key_id: 'key_1', command_type: 'CloseEvent', user_ids: [] };
    const rows = foldAuditTrail([
      event('TransactionPosted', { user_id: 'ann' }, who),
      event('TransactionPosted', { user_id: 'bob' }, who),
      event('EventClosed', {}, who),
    ]);
    expect([...rows.values()]).toEqual([
      expect.objectContaining({
        command_id: 'c1',
        correlation_id: 'corr-1',
        command_type: 'CloseEvent',
        decided_at: '2026-11-30T12:00:00.000Z',
        app_id: 'app_1',
        key_id: 'key_1',
        admin_token_id: null,
        user_ids: ['ann', 'bob'],
        outcome: 'accepted',
        events: ['TransactionPosted', 'EventClosed'],
        event_count: 3,
        refusal_code: null,
      }),
    ]);
  });

  it('reads a refusal: its code and message, the users the command named, the admin token that sent it', () => {
    const rows = foldAuditTrail([
      event('CommandRefused', { code: 'NOT_FOUND', message: 'no such transaction' }, {
        command_id: 'c2',
        correlation_id: 'corr-2',
        app_id: null,
        key_id: null,
        admin_token_id: 'adm_1',
        command_type: 'ReverseTransaction',
        user_ids: ['cat'],
      }),
    ]);
    expect([...rows.values()][0]).toMatchObject({ outcome: 'refused', refusal_code: 'NOT_FOUND', refusal_message: 'no such transaction', admin_token_id: 'adm_1', user_ids: ['cat'] });
  });

  it('keeps apart a reused key refused in the batch of its first request (same command id and time, another request)', () => {
    const rows = foldAuditTrail([
      event('TransactionPosted', { user_id: 'ann' }, { command_id: 'app_1:k', correlation_id: 'first' }),
      event('CommandRefused', { code: 'IDEMPOTENCY_KEY_REUSED', message: 'reused' }, { command_id: 'app_1:k', correlation_id: 'second' }),
    ]);
    expect([...rows.values()].map((row) => [row.correlation_id, row.outcome])).toEqual([
      ['first', 'accepted'],
      ['second', 'refused'],
    ]);
  });

  it('reads an event written before the writers stamped the command: no type, its users from its data, its time when it was stored', () => {
    const old: ReplayedEvent = { type: 'Transfer', data: { from_user_id: 'dan', to_user_id: 'eve' }, globalPosition: 7n, occurredAt: new Date(AT), metadata: { schema_version: 1 } };
    expect([...foldAuditTrail([old]).values()][0]).toMatchObject({ command_id: 'event:7', command_type: null, user_ids: ['dan', 'eve'], decided_at: '2026-11-30T12:00:00.000Z' });
  });

  it(`keeps at most ${MAX_AUDIT_USER_IDS} users per command`, () => {
    const who = { command_id: 'c3', correlation_id: 'corr-3', command_type: 'ExpireEvent' };
    const events = Array.from({ length: MAX_AUDIT_USER_IDS + 5 }, (_, i) => event('TransactionVoided', { user_id: `u${i}` }, who));
    expect([...foldAuditTrail(events).values()][0].user_ids).toHaveLength(MAX_AUDIT_USER_IDS);
  });
});
