import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { isIconUrl } from './commands';
import { RecordProgressDto, RegisterAchievementDto, UnlockAchievementDto, UpdateAchievementDto } from './dto';

/** What the gateway's pipe does: plain JSON to the class, whitelist, refuse unknown fields. Returns the failing fields. */
async function failedFields(dto: new () => object, body: unknown): Promise<string[]> {
  const errors = await validate(plainToInstance(dto, body) as object, { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

async function messages(dto: new () => object, body: unknown): Promise<string[]> {
  const errors = await validate(plainToInstance(dto, body) as object, { whitelist: true, forbidNonWhitelisted: true });
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

const minimal = { key: 'first_win', name: 'First win' };

describe('RegisterAchievementDto', () => {
  it.each([
    ['the minimum (key and name)', minimal],
    ['every field', { ...minimal, description: 'Win once', icon_url: 'http://e.com/i.png', goal: 10, hidden: true, reward: { amount: 5, currency: 'gems' } }],
    ['a reward as a digit string of 10^18, default currency', { ...minimal, reward: { amount: '1000000000000000000' } }],
    ['null description, icon and reward', { ...minimal, description: null, icon_url: null, reward: null }],
    ['the longest key, name, description and URL', { key: 'k'.repeat(64), name: 'n'.repeat(100), description: 'd'.repeat(500), icon_url: `https://e.com/${'x'.repeat(2034)}` }],
    ['punctuation in the key', { ...minimal, key: 'a_b.c:d-e' }],
    ['goal 10^9', { ...minimal, goal: 1_000_000_000 }],
  ])('accepts %s', async (_case, body) => {
    expect(await failedFields(RegisterAchievementDto, body)).toEqual([]);
  });

  it.each([
    ['no key', { name: 'n' }, ['key']],
    ['an empty key', { ...minimal, key: '' }, ['key']],
    ['a key of 65 characters', { ...minimal, key: 'k'.repeat(65) }, ['key']],
    ['a key with a slash', { ...minimal, key: 'a/b' }, ['key']],
    ['a numeric key', { ...minimal, key: 5 }, ['key']],
    ['no name', { key: 'k' }, ['name']],
    ['a blank name', { ...minimal, name: ' \t ' }, ['name']],
    ['a name of 101 characters', { ...minimal, name: 'n'.repeat(101) }, ['name']],
    ['a description of 501 characters', { ...minimal, description: 'd'.repeat(501) }, ['description']],
    ['a numeric description', { ...minimal, description: 5 }, ['description']],
    ['a name with NUL', { ...minimal, name: 'n\u0000' }, ['name']],
    ['a name with a lone surrogate', { ...minimal, name: 'n\ud800' }, ['name']],
    ['a description with a C1 control', { ...minimal, description: 'd\u0085' }, ['description']],
    ['an icon URL with a C1 control', { ...minimal, icon_url: 'https://e.com/\u009b.png' }, ['icon_url']],
    ['an icon URL with a lone surrogate', { ...minimal, icon_url: 'https://e.com/\udc00.png' }, ['icon_url']],
    ['an icon URL without a scheme', { ...minimal, icon_url: 'cdn.example.com/a.png' }, ['icon_url']],
    ['a data: icon URL', { ...minimal, icon_url: 'data:image/png;base64,AAAA' }, ['icon_url']],
    ['goal 0', { ...minimal, goal: 0 }, ['goal']],
    ['a negative goal', { ...minimal, goal: -1 }, ['goal']],
    ['a goal of 10^9 + 1', { ...minimal, goal: 1_000_000_001 }, ['goal']],
    ['a fractional goal', { ...minimal, goal: 2.5 }, ['goal']],
    ['a null goal', { ...minimal, goal: null }, ['goal']],
    ['hidden as 1', { ...minimal, hidden: 1 }, ['hidden']],
    ['hidden null', { ...minimal, hidden: null }, ['hidden']],
    ['a reward of 0', { ...minimal, reward: { amount: 0 } }, ['reward']],
    ['a reward without an amount', { ...minimal, reward: { currency: 'coins' } }, ['reward']],
    ['a reward in an upper-case currency', { ...minimal, reward: { amount: 1, currency: 'COINS' } }, ['reward']],
    ['a reward with an extra field', { ...minimal, reward: { amount: 1, extra: true } }, ['reward']],
    ['a reward that is a number', { ...minimal, reward: 100 }, ['reward']],
    ['an unknown field', { ...minimal, points: 10 }, ['points']],
  ])('refuses %s', async (_case, body, fields) => {
    expect(await failedFields(RegisterAchievementDto, body)).toEqual(fields);
  });
});

describe('UpdateAchievementDto', () => {
  it('accepts any subset of name, description, icon_url and hidden, with null clearing description and icon', async () => {
    expect(await failedFields(UpdateAchievementDto, { name: 'New' })).toEqual([]);
    expect(await failedFields(UpdateAchievementDto, { description: null, icon_url: null, hidden: true })).toEqual([]);
  });

  it.each([
    ['the goal', { goal: 4 }, ['goal']],
    ['the reward', { reward: { amount: 1 } }, ['reward']],
    ['the key', { key: 'other' }, ['key']],
    ['a null name', { name: null }, ['name']],
    ['a null hidden', { hidden: null }, ['hidden']],
    ['an https URL with a space', { icon_url: 'https://e.com/a b.png' }, ['icon_url']],
  ])('refuses %s', async (_case, body, fields) => {
    expect(await failedFields(UpdateAchievementDto, body)).toEqual(fields);
  });
});

describe('RecordProgressDto', () => {
  it.each([
    ['an increment', { user_id: 'u1', increment: 1 }],
    ['a set of 0', { user_id: 'u1', set: 0 }],
    ['a snowflake user id as the lossless parser hands it over', { user_id: '169015299834642432', increment: 3 }],
    ['a large increment (it stops at the goal)', { user_id: 42, increment: 2 ** 40 }],
  ])('accepts %s', async (_case, body) => {
    expect(await failedFields(RecordProgressDto, body)).toEqual([]);
  });

  it('refuses a body with neither increment nor set, saying exactly one is required', async () => {
    expect(await failedFields(RecordProgressDto, { user_id: 'u1' })).toEqual(['increment', 'set']);
    expect(await messages(RecordProgressDto, { user_id: 'u1' })).toContain('exactly one of increment or set is required');
  });

  it('refuses a body with both', async () => {
    expect(await failedFields(RecordProgressDto, { user_id: 'u1', increment: 1, set: 1 })).toEqual(['increment', 'set']);
    expect(await messages(RecordProgressDto, { user_id: 'u1', increment: 1, set: 1 })).toContain('give either increment or set, not both');
  });

  it.each([
    ['increment 0', { user_id: 'u1', increment: 0 }, ['increment'], 'increment must be a positive integer'],
    ['a fractional increment', { user_id: 'u1', increment: 0.5 }, ['increment'], 'increment must be a positive integer'],
    ['an increment as a string', { user_id: 'u1', increment: '2' }, ['increment'], 'increment must be a positive integer'],
    ['a null increment', { user_id: 'u1', increment: null }, ['increment'], 'increment must be a positive integer'],
    ['a negative set', { user_id: 'u1', set: -1 }, ['set'], 'set must be a non-negative integer'],
    ['a set beyond 2^53 (kept as a digit string)', { user_id: 'u1', set: '9007199254740993' }, ['set'], 'set must be a non-negative integer'],
  ])('refuses %s', async (_case, body, fields, message) => {
    expect(await failedFields(RecordProgressDto, body)).toEqual(fields);
    expect(await messages(RecordProgressDto, body)).toContain(message);
  });

  it('refuses a missing or malformed user id', async () => {
    expect(await failedFields(RecordProgressDto, { increment: 1 })).toEqual(['user_id']);
    expect(await failedFields(RecordProgressDto, { user_id: 'a/b', increment: 1 })).toEqual(['user_id']);
  });
});

describe('UnlockAchievementDto', () => {
  it('needs a valid user id and nothing else', async () => {
    expect(await failedFields(UnlockAchievementDto, { user_id: 7 })).toEqual([]);
    expect(await failedFields(UnlockAchievementDto, {})).toEqual(['user_id']);
    expect(await failedFields(UnlockAchievementDto, { user_id: 'u', increment: 1 })).toEqual(['increment']);
  });
});

describe('isIconUrl', () => {
  it.each([
    ['https://cdn.example.com/a.png', true],
    ['http://localhost:8080/a.png?x=1#y', true],
    ['HTTPS://EXAMPLE.COM/A.PNG', true],
    ['https://', false],
    [' https://e.com/a.png', false],
    ['https://e.com/a.png\n', false],
    ['mailto:me@example.com', false],
    ['//e.com/a.png', false],
    ['', false],
  ])('%j → %s', (url, expected) => {
    expect(isIconUrl(url)).toBe(expected);
  });
});
