import { encodeAmount, encodeKey, encodePositiveId, encodeUserId, InvalidArgumentError } from './values';

describe('user ids', () => {
  it('sends strings as they are and bigints as their exact digits, even above 2^53', () => {
    expect(encodeUserId('player-7')).toBe('player-7');
    expect(encodeUserId('a:b.c_d-E9')).toBe('a:b.c_d-E9');
    expect(encodeUserId(169015299834642432n)).toBe('169015299834642432');
    expect(encodeUserId(2n ** 63n + 1n)).toBe('9223372036854775809');
    expect(encodeUserId(0n)).toBe('0');
    expect(encodeUserId(42)).toBe('42');
    expect(encodeUserId(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it('refuses a number JavaScript has already rounded, and anything that is not an id', () => {
    // 169015299834642432 as a number literal is 169015299834642430 (or thereabouts): someone else.
    expect(() => encodeUserId(169015299834642432)).toThrow(InvalidArgumentError);
    expect(() => encodeUserId(169015299834642432)).toThrow(/string or a bigint/);
    for (const bad of [2 ** 53, -1, 1.5, NaN, Infinity, -1n, '', 'a'.repeat(65), 'has space', 'é', 'a/b', '\n']) {
      expect(() => encodeUserId(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => encodeUserId(null as never)).toThrow(/user_id/);
    expect(() => encodeUserId({} as never, 'from_user_id')).toThrow(/^from_user_id/);
    expect(encodeUserId('a'.repeat(64))).toHaveLength(64);
  });
});

describe('amounts', () => {
  it('sends bigints, safe integers and digit strings as exact decimal strings', () => {
    expect(encodeAmount(15)).toBe('15');
    expect(encodeAmount(15n)).toBe('15');
    expect(encodeAmount('15')).toBe('15');
    expect(encodeAmount(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(encodeAmount(10n ** 18n)).toBe('1000000000000000000');
    expect(encodeAmount(2n ** 53n + 1n)).toBe('9007199254740993');
  });

  it('refuses non-integers, zero, negatives, unsafe numbers and more than 10^18 before any request', () => {
    for (const bad of [0, -1, 1.5, 0.1 + 0.2, NaN, Infinity, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e21, 0n, -5n, 10n ** 18n + 1n, '0', '-1', '1.0', '01', '1e3', ' 1', '', '10000000000000000000']) {
      expect(() => encodeAmount(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => encodeAmount(null as never)).toThrow(/amount/);
    expect(() => encodeAmount(1.5, 'reward.amount')).toThrow(/^reward\.amount must be an integer/);
  });
});

describe('ids and keys', () => {
  it('takes positive safe integers as ids and id characters as keys', () => {
    expect(encodePositiveId(1, 'event_id')).toBe(1);
    for (const bad of [0, -1, 1.5, NaN, 2 ** 53]) expect(() => encodePositiveId(bad, 'event_id')).toThrow(/^event_id/);
    expect(encodeKey('first_blackjack')).toBe('first_blackjack');
    for (const bad of ['', 'a b', '../x', 'a'.repeat(65)]) expect(() => encodeKey(bad)).toThrow(InvalidArgumentError);
  });
});
