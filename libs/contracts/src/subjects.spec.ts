import { PATTERNS, subjectOf, subjects } from './subjects';

describe('NATS subjects', () => {
  it('puts the prefix and the realm into every command subject', () => {
    const s = subjects('coffer');
    expect(s.ledgerCommands()).toBe('coffer.ledger.default.commands');
    expect(s.ledgerCommands('aussie')).toBe('coffer.ledger.aussie.commands');
    expect(subjectOf(PATTERNS.achievementsCommands, 'test_1', 'r2')).toBe('test_1.achievements.r2.commands');
    expect(s.health('ledger')).toBe('coffer.health.ledger');
  });

  it('names analytics subjects by context and event type, and the stream by prefix', () => {
    const s = subjects('my-app');
    expect(s.event('ledger', 'TransactionPosted')).toBe('my-app.events.ledger.TransactionPosted');
    expect(s.allEvents).toBe('my-app.events.>');
    expect(s.eventsStream).toBe('MY_APP_EVENTS');
  });

  it('refuses prefixes and realms that would break subject tokens', () => {
    expect(() => subjects('a.b')).toThrow(/COFFER_NATS_PREFIX/);
    expect(() => subjects('')).toThrow();
    expect(() => subjectOf(PATTERNS.ledgerCommands, 'coffer', 'x>')).toThrow(/realm/);
    expect(() => subjects('coffer').event('ledger', 'a*b')).toThrow(/event type/);
  });
});
