import { jsonTextTooDeep, jsonValueProblem, MAX_JSON_DEPTH } from './json';
import { isText, textLength, textProblem } from './text';
import { parseTime } from './time';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('Text', () => {
  it.each([
    ['plain ASCII', 'round 12 of blackjack'],
    ['tab and newline', 'line one\n\tline two'],
    ['accents and CJK', 'Crème brûlée 和菓子'],
    ['an emoji (a surrogate pair)', 'win 🎰'],
    ['the empty string', ''],
    ['U+00A0 and U+2028 (not control characters)', 'a\u00a0b\u2028c'],
  ])('accepts %s', (_case, value) => {
    expect(textProblem(value, 100)).toBeNull();
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['U+0001', '\u0001'],
    ['carriage return', 'a\r\nb'],
    ['escape', '\u001b[31m'],
    ['DEL', 'a\u007f'],
    ['a C1 control (U+0085)', 'a\u0085b'],
    ['U+009F', '\u009f'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00a'],
    ['a pair in the wrong order', '\ude00\ud83d'],
  ])('refuses %s', (_case, value) => {
    expect(textProblem(value, 100)).toBe('characters');
  });

  it('refuses what is not a string', () => {
    for (const value of [null, undefined, 1, true, ['a'], { a: 'b' }]) expect(textProblem(value, 10)).toBe('type');
  });

  it('counts code points: a field of 5 holds 5 emoji, not 6', () => {
    expect(textLength('🎰🎰🎰🎰🎰')).toBe(5);
    expect(isText('🎰🎰🎰🎰🎰', 5)).toBe(true);
    expect(textProblem('🎰🎰🎰🎰🎰🎰', 5)).toBe('length');
  });

  it('takes a field exactly at its length and refuses one character over', () => {
    expect(isText('x'.repeat(500), 500)).toBe(true);
    expect(textProblem('x'.repeat(501), 500)).toBe('length');
  });
});

describe('JSON depth', () => {
  it(`accepts text nested ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}`, () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1, '{"a":', '}'))).toBe(true);
    expect(jsonTextTooDeep(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).toBe(false);
  });

  it('counts no bracket inside a string, escaped quotes included', () => {
    const deepText = JSON.stringify({ description: `\\"${'['.repeat(100)}` });
    expect(jsonTextTooDeep(deepText)).toBe(false);
    expect(jsonTextTooDeep(`["\\\\", ${nested(MAX_JSON_DEPTH)}]`)).toBe(true);
  });

  it('scans 3,000 and 1,000,000 levels without recursion', () => {
    expect(jsonTextTooDeep(nested(3000))).toBe(true);
    expect(jsonTextTooDeep('['.repeat(1_000_000))).toBe(true);
  });

  it('walks a parsed value with the same limit, and checks its strings, keys and numbers', () => {
    const deep = (depth: number): unknown => (depth === 0 ? 1 : [deep(depth - 1)]);
    expect(jsonValueProblem(deep(MAX_JSON_DEPTH))).toBeNull();
    expect(jsonValueProblem(deep(MAX_JSON_DEPTH + 1))).toMatch(/deeper than 32/);
    expect(jsonValueProblem(deep(5000))).toMatch(/deeper than 32/);
    expect(jsonValueProblem({ description: 'a\u0000' })).toMatch(/not text/);
    expect(jsonValueProblem({ ['k\ud800']: 1 })).toMatch(/key that is not text/);
    expect(jsonValueProblem({ amount: Infinity })).toMatch(/not finite/);
    expect(jsonValueProblem({ a: [1, 'two', null, true, { b: 'ü\n' }] })).toBeNull();
  });
});

describe('RFC 3339 times', () => {
  it.each([
    ['2026-11-30T12:00:00Z', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30t12:00:00z', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T13:30:00+01:30', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T07:00:00-05:00', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T12:00:00.029Z', '2026-11-30T12:00:00.029Z'],
    ['2026-11-30T12:00:00.123456789Z', '2026-11-30T12:00:00.123Z'],
    ['2026-11-30', '2026-11-30T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ['an ISO week', '2026-W01'],
    ['an ordinal date', '2026-334'],
    ['a word', 'yesterday'],
    ['month 13, day 45', '2026-13-45'],
    ['February 30', '2026-02-30'],
    ['February 29 of a common year', '2026-02-29'],
    ['February 29 of 1900', '1900-02-29'],
    ['year 0000', '0000-01-01'],
    ['a five-digit year', '12026-01-01'],
    ['a signed year', '+002026-01-01'],
    ['no offset', '2026-11-30T12:00:00'],
    ['hour 24', '2026-11-30T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['offset hour 24', '2026-11-30T12:00:00+24:00'],
    ['no seconds', '2026-11-30T12:00Z'],
    ['basic format', '20261130T120000Z'],
    ['a space for T', '2026-11-30 12:00:00Z'],
    ['trailing text', '2026-11-30Tx'],
    ['epoch milliseconds', '1764504000000'],
    ['an empty string', ''],
  ])('refuses %s (%s)', (_case, text) => {
    expect(parseTime(text)).toBeNull();
  });

  it('refuses what is not a string', () => {
    for (const value of [null, 20261130, new Date(), ['2026-11-30']]) expect(parseTime(value)).toBeNull();
  });
});
