import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateAppDto } from '../app/dto';
import { OpenEventDto } from '../finance-event/dto';
import { GrantDto, PostTransactionDto, TransactionsQueryDto, TransferDto } from '../finance-transaction/dto';
import { IsAmount, IsPositiveId, IsUserId } from './validators';

class Probe {
  @IsUserId() user_id: unknown;
  @IsAmount() amount: unknown;
  @IsPositiveId() id: unknown;
}

/** Errors of one field of Probe when it holds `value` (the other fields hold valid values). */
async function errorsOf(field: keyof Probe, value: unknown): Promise<string[]> {
  const probe = Object.assign(new Probe(), { user_id: 'u1', amount: 1, id: 1, [field]: value });
  const errors = await validate(probe);
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

/** What the pipe does: plain JSON to the class, whitelist, refuse unknown fields. */
async function failedFields(dto: new () => object, body: unknown): Promise<string[]> {
  const errors = await validate(plainToInstance(dto, body) as object, { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

describe('IsUserId', () => {
  it.each([
    ['a short string id', 'u1'],
    // A JSON string, or a JSON integer above 2^53 as the lossless parser hands it over.
    ['a snowflake as a digit string', '169015299834642432'],
    ['a safe integer', 42],
    ['zero', 0],
    ['every allowed punctuation', 'a_b.c:d-e'],
    ['64 characters', 'x'.repeat(64)],
  ])('accepts %s', async (_case, value) => {
    expect(await errorsOf('user_id', value)).toEqual([]);
  });

  it.each([
    ['an empty string', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'usér'],
    ['a negative integer', -1],
    ['a fraction', 1.5],
    ['an integer JSON parsed with rounding', 2 ** 60],
    ['NaN', NaN],
    ['a boolean', true],
    ['null', null],
    ['an array', ['u1']],
    ['an object', { id: 'u1' }],
  ])('refuses %s', async (_case, value) => {
    expect(await errorsOf('user_id', value)).toEqual([expect.stringContaining('user_id must be a string of 1-64')]);
  });
});

describe('IsAmount', () => {
  it.each([
    ['one', 1],
    ['a digit string', '15'],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
    ['a digit string above 2^53', '9007199254740993'],
    ['exactly 10^18', '1000000000000000000'],
  ])('accepts %s', async (_case, value) => {
    expect(await errorsOf('amount', value)).toEqual([]);
  });

  it.each([
    ['zero', 0],
    ['"0"', '0'],
    ['a negative number', -5],
    ['a negative digit string', '-5'],
    ['a fraction', 1.5],
    ['a decimal string', '1.0'],
    ['a leading zero', '015'],
    ['1e3 as a string', '1e3'],
    ['a hex string', '0x10'],
    ['padding', ' 15'],
    ['10^18 + 1', '1000000000000000001'],
    ['a huge digit string', '9'.repeat(40)],
    ['an unsafe number', 2 ** 60],
    ['Infinity', Infinity],
    ['a boolean', true],
    ['null', null],
    ['an empty string', ''],
    ['an array', [15]],
    ['an object', { amount: 15 }],
  ])('refuses %s', async (_case, value) => {
    expect(await errorsOf('amount', value)).toEqual([expect.stringContaining('amount must be a positive integer')]);
  });
});

describe('IsPositiveId', () => {
  it.each([1, 12, Number.MAX_SAFE_INTEGER])('accepts %p', async (value) => {
    expect(await errorsOf('id', value)).toEqual([]);
  });
  it.each([0, -1, 1.5, '12', 2 ** 60, true, null])('refuses %p', async (value) => {
    expect(await errorsOf('id', value)).toHaveLength(1);
  });
});

describe('request bodies', () => {
  it('accepts seed 000\'s transaction with its snowflake as an exact digit string', async () => {
    const body = { user_id: '169015299834642432', event_id: 12, type: 'credit', amount: 15, description: 'test transaction' };
    expect(await failedFields(PostTransactionDto, body)).toEqual([]);
  });

  it('refuses unknown fields, bad kinds, bad currencies and long descriptions', async () => {
    const body = { user_id: 'u1', type: 'refund', amount: 1, currency: 'Coins', description: 'x'.repeat(501), extra: 1 };
    expect(await failedFields(PostTransactionDto, body)).toEqual(['currency', 'description', 'extra', 'type']);
  });

  it('allows leaving out or nulling the optional fields', async () => {
    expect(await failedFields(PostTransactionDto, { user_id: 7, type: 'debit', amount: '3', event_id: null })).toEqual([]);
    expect(await failedFields(GrantDto, { user_id: 'u1', amount: 1, currency: 'gems', description: null })).toEqual([]);
    expect(await failedFields(OpenEventDto, {})).toEqual([]);
  });

  it('requires every mandatory field', async () => {
    expect(await failedFields(PostTransactionDto, {})).toEqual(['amount', 'type', 'user_id']);
    expect(await failedFields(TransferDto, { amount: 1 })).toEqual(['from_user_id', 'to_user_id']);
    expect(await failedFields(GrantDto, { user_id: 'u1' })).toEqual(['amount']);
  });

  it('refuses an event id that is not a positive safe integer', async () => {
    for (const event_id of [0, '12', 1.5, '9007199254740993']) {
      expect(await failedFields(PostTransactionDto, { user_id: 'u', type: 'credit', amount: 1, event_id })).toEqual([
        'event_id',
      ]);
    }
  });
});

describe('free text and times (values/)', () => {
  const debit = { user_id: 'u1', type: 'debit', amount: 1 };

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', '\ud800'],
    ['a C1 control', 'a\u0085b'],
    ['a carriage return', 'a\r\nb'],
    ['501 characters', 'x'.repeat(501)],
  ])('refuses a description with %s, in every body that takes one', async (_case, description) => {
    expect(await failedFields(PostTransactionDto, { ...debit, description })).toEqual(['description']);
    expect(await failedFields(TransferDto, { from_user_id: 'a', to_user_id: 'b', amount: 1, description })).toEqual(['description']);
    expect(await failedFields(GrantDto, { user_id: 'u1', amount: 1, description })).toEqual(['description']);
    expect(await failedFields(OpenEventDto, { description })).toEqual(['description']);
  });

  it('takes a description of exactly 500 characters, counting an emoji as one', async () => {
    expect(await failedFields(PostTransactionDto, { ...debit, description: '🎰'.repeat(500) })).toEqual([]);
    expect(await failedFields(PostTransactionDto, { ...debit, description: 'tab\tand\nnewline' })).toEqual([]);
  });

  it('says what the text rule is', async () => {
    const errors = await validate(plainToInstance(PostTransactionDto, { ...debit, description: 'a\u0000' }) as object);
    expect(errors.flatMap((error) => Object.values(error.constraints ?? {}))).toEqual([
      'description must be null or text of at most 500 characters (well-formed Unicode with no control characters other than tab and newline)',
    ]);
  });

  it('refuses an app name that is not text, blank or too long', async () => {
    expect(await failedFields(CreateAppDto, { name: 'Blackjack 🂡' })).toEqual([]);
    for (const name of ['n\u0000', '\udfff', ' \t', 'n'.repeat(101), 5]) {
      expect(await failedFields(CreateAppDto, { name })).toEqual(['name']);
    }
  });

  it('takes RFC 3339 times in the transaction list and refuses anything else', async () => {
    expect(await failedFields(TransactionsQueryDto, { from: '2026-11-30', to: '2026-11-30T12:00:00+01:00' })).toEqual([]);
    for (const from of ['2026-W01', 'yesterday', '2026-13-45', '0000-01-01', '2026-11-30T12:00:00']) {
      expect(await failedFields(TransactionsQueryDto, { from })).toEqual(['from']);
    }
  });
});
