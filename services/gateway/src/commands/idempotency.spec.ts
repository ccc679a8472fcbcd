import { createHash } from 'node:crypto';
import { ApiError } from '../http/api-error';
import { canonicalJson, commandIdFor, parseIdempotencyKey, requestHash } from './idempotency';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('parseIdempotencyKey', () => {
  it.each(['a', 'order-42', 'x'.repeat(255), 'with spaces and ~!@#$%^&*()', '550e8400-e29b-41d4-a716-446655440000'])(
    'accepts %p',
    (key) => expect(parseIdempotencyKey(key)).toBe(key),
  );

  it('treats a missing header as no key', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'x'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
    ['DEL', 'a\x7fb'],
    ['sent twice', ['a', 'b']],
  ])('refuses a key that is %s with 400 VALIDATION_FAILED', (_case, key) => {
    const attempt = () => parseIdempotencyKey(key as string | string[]);
    expect(attempt).toThrow(ApiError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', status: 400 }));
  });
});

describe('commandIdFor', () => {
  it('scopes the hashed key to the app, or to admin', () => {
    expect(commandIdFor('app_1', 'order-42')).toBe(`app_1:${sha256('order-42')}`);
    expect(commandIdFor(null, 'order-42')).toBe(`admin:${sha256('order-42')}`);
    expect(commandIdFor('app_2', 'order-42')).not.toBe(commandIdFor('app_1', 'order-42'));
  });

  it('gives every request without a key a new id', () => {
    const a = commandIdFor('app_1', undefined);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(commandIdFor('app_1', undefined)).not.toBe(a);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves array order alone', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
  });

  it('drops undefined fields and writes bigints as strings', () => {
    expect(canonicalJson({ a: undefined, b: 10n ** 20n })).toBe('{"b":"100000000000000000000"}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('requestHash', () => {
  const body = { user_id: '169015299834642432', type: 'credit', amount: '15', event_id: 12 };

  it('is the same for the same body in another key order', () => {
    const reordered = { event_id: 12, amount: '15', type: 'credit', user_id: '169015299834642432' };
    expect(requestHash('POST', '/finance/transaction', reordered)).toBe(requestHash('POST', '/finance/transaction', body));
  });

  it('is the sha256 of method, path and canonical body', () => {
    expect(requestHash('post', '/finance/event/12/ping', null)).toBe(sha256('POST /finance/event/12/ping null'));
  });

  it('changes with any field, the path or the method', () => {
    const base = requestHash('POST', '/finance/transaction', body);
    expect(requestHash('POST', '/finance/transaction', { ...body, amount: '16' })).not.toBe(base);
    expect(requestHash('POST', '/finance/transfer', body)).not.toBe(base);
    expect(requestHash('PUT', '/finance/transaction', body)).not.toBe(base);
    expect(requestHash('POST', '/finance/event/12/ping', null)).not.toBe(requestHash('POST', '/finance/event/13/ping', null));
  });
});
