import { houseAccount, isAccountId, isUserAccount, TREASURY, userAccount, userIdOfAccount } from './account-id';
import { ACHIEVEMENT_KEY_MESSAGE, isAchievementKey } from './achievement-key';
import { appIdOf, appNumberOf, realmOfApp } from './app-id';
import { isRealm, ledgerStreamOf, realmOfStream } from './realm';
import { isCanonicalAmount, MAX_AMOUNT, parseAmount } from './amount';
import { isCorrelationId } from './correlation-id';
import { currencyMessage, isCurrency } from './currency';
import { APP_CURSOR_PATTERN, TRANSACTION_CURSOR_PATTERN, USER_ACHIEVEMENT_CURSOR_PATTERN } from './cursor';
import { ID_PATTERN, idMessage, isId, MAX_ID_LENGTH } from './id';
import { isAppName } from './name';
import { parsePositiveIdText } from './positive-id';
import { canonicalUserIdMessage, isUserId, parseUserId, userIdMessage } from './user-id';

describe('Id, the one token rule', () => {
  it.each(['a', 'a_b.c:d-e', 'x'.repeat(64), '169015299834642432'])('accepts %p', (value) => expect(isId(value)).toBe(true));
  it.each(['', 'x'.repeat(65), 'a b', 'a/b', 'usér', 'a\n', 1, null])('refuses %p', (value) => expect(isId(value)).toBe(false));

  it('says its rule in the messages the API has always given', () => {
    expect(idMessage('app_id')).toBe('app_id must be 1-64 characters of [A-Za-z0-9_.:-]');
    expect(ACHIEVEMENT_KEY_MESSAGE).toBe('key must be 1-64 characters of [A-Za-z0-9_.:-]');
    expect(userIdMessage('user_id')).toBe('user_id must be a string of 1-64 characters of [A-Za-z0-9_.:-] or a non-negative integer');
    expect(canonicalUserIdMessage('to_user_id')).toBe('to_user_id must be a string of 1-64 characters of [A-Za-z0-9_.:-]');
    expect(currencyMessage('reward.currency')).toBe('reward.currency must be 1-32 characters of [a-z0-9_], starting with a letter');
  });

  it('is the rule of achievement keys and of correlation ids (up to 128 characters)', () => {
    expect(isAchievementKey('first_blackjack')).toBe(true);
    expect(isAchievementKey('a/b')).toBe(false);
    expect(isCorrelationId('c'.repeat(128))).toBe(true);
    expect(isCorrelationId('c'.repeat(129))).toBe(false);
    expect(isCorrelationId('a b')).toBe(false);
  });
});

describe('UserId', () => {
  it('reads a string or an exact non-negative integer, always as its string', () => {
    expect(parseUserId('u1')).toBe('u1');
    expect(parseUserId('169015299834642432')).toBe('169015299834642432');
    expect(parseUserId(42)).toBe('42');
    expect(parseUserId(0)).toBe('0');
    for (const value of [-1, 1.5, 2 ** 60, NaN, 'a b', '', null, true]) expect(parseUserId(value)).toBeNull();
  });

  it('takes only the string in a command', () => {
    expect(isUserId('42')).toBe(true);
    expect(isUserId(42)).toBe(false);
  });
});

describe('Amount and Currency', () => {
  it('reads 1 to 10^18 from a number or digits; a command carries the digits only', () => {
    expect(parseAmount(15)).toBe(15n);
    expect(parseAmount('1000000000000000000')).toBe(MAX_AMOUNT);
    for (const value of [0, '0', '015', '1000000000000000001', -1, 1.5, '1e3', null]) expect(parseAmount(value)).toBeNull();
    expect(isCanonicalAmount('15')).toBe(true);
    expect(isCanonicalAmount(15)).toBe(false);
  });

  it('takes lower-case currency codes starting with a letter', () => {
    expect(isCurrency('coins')).toBe(true);
    expect(isCurrency('gold_2')).toBe(true);
    for (const value of ['Coins', '2x', '', 'c'.repeat(33), 1]) expect(isCurrency(value)).toBe(false);
  });
});

describe('AccountId', () => {
  it("names a user's wallet, an app's house and the treasury, and reads the user back", () => {
    expect(userAccount('alice')).toBe('user:alice');
    expect(houseAccount('app_1')).toBe('house:app_1');
    expect(isUserAccount(userAccount('alice'))).toBe(true);
    expect(isUserAccount(houseAccount('app_1'))).toBe(false);
    expect(userIdOfAccount(userAccount('a:b'))).toBe('a:b');
    expect(userIdOfAccount(TREASURY)).toBeNull();
    for (const account of [userAccount('alice'), houseAccount('app_1'), TREASURY]) expect(isAccountId(account)).toBe(true);
    for (const account of ['alice', 'user:', 'user:a b', 'bank:x', 'treasury2']) expect(isAccountId(account)).toBe(false);
  });
});

describe('path ids, names and cursors', () => {
  it('reads a positive id from plain digits only', () => {
    expect(parsePositiveIdText('12')).toBe(12);
    expect(parsePositiveIdText('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    for (const text of ['0', '012', '1e3', '0x10', '1.0', '9007199254740992', '', ' 1']) expect(parsePositiveIdText(text)).toBeNull();
  });

  it('numbers app ids and reads the number back (0 for an id the ledger did not number)', () => {
    expect(appIdOf(12)).toBe('app_12');
    expect(appNumberOf(appIdOf(12))).toBe(12);
    for (const id of ['app_0', 'app_012', 'app_x', 'other']) expect(appNumberOf(id)).toBe(0);
  });

  it("names an app's realm in its id outside the default realm, and reads the realm and the number back", () => {
    expect(appIdOf(3, 'default')).toBe('app_3');
    expect(appIdOf(3, 'blue')).toBe('app_3_blue');
    expect([appNumberOf('app_3_blue'), realmOfApp('app_3_blue')]).toEqual([3, 'blue']);
    expect([appNumberOf('app_3'), realmOfApp('app_3')]).toEqual([3, 'default']);
    const longest = `app_${'9'.repeat(16)}_${'a'.repeat(32)}`;
    expect([longest.length <= MAX_ID_LENGTH, realmOfApp(longest)]).toEqual([true, 'a'.repeat(32)]);
    // A realm of 33 characters, one with `_` or capitals, or an id the ledger did not number: the default realm's, numbered 0.
    for (const id of [`app_1_${'a'.repeat(33)}`, 'app_1_Blue', 'app_1_a_b', 'app_1_', 'house_1_blue']) {
      expect([id, realmOfApp(id), appNumberOf(id)]).toEqual([id, 'default', 0]);
    }
  });

  it('takes realm ids of 1 to 32 characters of [a-z0-9-], not starting with -', () => {
    for (const realm of ['a', '7', 'blue', 'eu-west-1', 'a'.repeat(32)]) expect([realm, isRealm(realm)]).toEqual([realm, true]);
    for (const realm of ['', '-a', 'A', 'a_b', 'a.b', 'a'.repeat(33), 'a b', 7]) expect([realm, isRealm(realm)]).toEqual([realm, false]);
    expect([realmOfStream('ledger-blue'), realmOfStream('ledger-default'), realmOfStream('achievement-app_1-k'), realmOfStream('ledger-')]).toEqual([
      'blue',
      'default',
      undefined,
      undefined,
    ]);
    expect(ledgerStreamOf('blue')).toBe('ledger-blue');
  });

  it('refuses a blank app name', () => {
    expect(isAppName('Blackjack')).toBe(true);
    expect(isAppName('  ')).toBe(false);
    expect(isAppName('n'.repeat(101))).toBe(false);
  });

  it("checks each list's cursor shape", () => {
    expect(TRANSACTION_CURSOR_PATTERN.test('42')).toBe(true);
    expect(USER_ACHIEVEMENT_CURSOR_PATTERN.test('app_1/first_blackjack')).toBe(true);
    expect(USER_ACHIEVEMENT_CURSOR_PATTERN.test('app_1')).toBe(false);
    expect(APP_CURSOR_PATTERN.test('app_7')).toBe(true);
    expect(ID_PATTERN.source).toBe('^[A-Za-z0-9_.:-]{1,64}$');
  });
});
