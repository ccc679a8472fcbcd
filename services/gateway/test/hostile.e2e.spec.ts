/**
 * Malformed and hostile requests over real HTTP, one row each: every one gets its specific 4xx
 * and stable error code (never a 500), and after all of them no balance and no transaction list
 * has changed. Every refused body is built around a valid debit, so a check that lets one
 * through shows up twice: as the wrong status, and as money missing at the end.
 */
import { generateApiKey } from '../src/auth/api-keys';
import { ADMIN_TOKEN, newIdempotencyKey, Stack, until, type RegisteredApp } from './gateway-harness';
import { ApiClient, type Answer, type RequestOptions } from './api-client';
import { listenOnLoopback } from './http-client';

jest.setTimeout(120000);

const ALICE = 'hostile-alice'; // granted 100
const BOB = 'hostile-bob'; // granted 50

interface Context {
  base: string;
  app: RegisteredApp;
  other: RegisteredApp;
  revokedKey: string;
  openEvent: number;
  closedEvent: number;
  otherAppEvent: number;
  usedKey: string;
  /** The app's credit of 5 to BOB, posted when closedEvent closed: what the reversal rows aim at. */
  closedCredit: number;
  /** The app's credit of 3 to BOB, pending in openEvent. */
  pendingCredit: number;
  /** The other app's credit of 7 to ALICE, pending in otherAppEvent. */
  otherAppCredit: number;
  /** The admin's grant of 100 to ALICE. */
  grant: number;
  /** ALICE's linked external account. */
  aliceAccount: number;
  /** A webhook of the other app (it hears only unlocks, which never happen here). */
  otherWebhook: number;
}

/** Sent raw (ApiClient.send): any method, path, body text and headers. */
interface Attempt {
  method: string;
  path: string;
  options: RequestOptions;
}

type Build = (c: Context) => Attempt;

interface Row {
  name: string;
  status: number;
  code: string;
  /** For VALIDATION_FAILED on a body or query: the field the error must name. */
  field?: string;
  /** What the error's message must say, where the code alone does not tell which rule refused. */
  message?: RegExp;
  /** Response headers the refusal must carry (WWW-Authenticate, Allow), exactly. */
  headers?: Record<string, string>;
  build: Build;
}

const validDebit = { user_id: ALICE, type: 'debit', amount: 1 };

/** POST /finance/transaction with a valid debit of 1 changed by `change` (undefined deletes a field). */
const transaction =
  (change: Record<string, unknown>): Build =>
  (c) => {
    const body: Record<string, unknown> = { ...validDebit };
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete body[key];
      else body[key] = typeof value === 'function' ? (value as (c: Context) => unknown)(c) : value;
    }
    return { method: 'POST', path: '/finance/transaction', options: { token: c.app.api_key, body } };
  };

/** POST /finance/transaction with this exact body text (numbers a JSON.stringify could not write). */
const rawTransaction =
  (text: string | ((c: Context) => string), headers: Record<string, string> = {}): Build =>
  (c) => ({
    method: 'POST',
    path: '/finance/transaction',
    options: { token: c.app.api_key, body: typeof text === 'string' ? text : text(c), headers },
  });

const transfer =
  (body: Record<string, unknown>): Build =>
  (c) => ({ method: 'POST', path: '/finance/transfer', options: { token: c.app.api_key, body } });

const appCall =
  (method: string, path: string | ((c: Context) => string), body?: object): Build =>
  (c) => ({ method, path: typeof path === 'string' ? path : path(c), options: { token: c.app.api_key, body } });

const withAuthorization =
  (authorization: string | ((c: Context) => string) | null, method = 'POST', path = '/finance/transaction'): Build =>
  (c) => {
    const headers: Record<string, string> = {};
    if (authorization !== null) headers.authorization = typeof authorization === 'string' ? authorization : authorization(c);
    return { method, path, options: { headers, body: method === 'GET' ? undefined : validDebit } };
  };

const admin =
  (method: string, path: string | ((c: Context) => string), body?: object): Build =>
  (c) => ({ method, path: typeof path === 'string' ? path : path(c), options: { token: ADMIN_TOKEN, body } });

/** POST /finance/transactions/:closedCredit/reverse with a valid reversal of 1 changed by `change`. */
const reversal =
  (change: Record<string, unknown>): Build =>
  (c) => ({ method: 'POST', path: `/finance/transactions/${c.closedCredit}/reverse`, options: { token: c.app.api_key, body: { amount: 1, ...change } } });

/** POST /users/ALICE/external-accounts with a valid link changed by `change` (undefined deletes a field). */
const validLink = { kind: 'bank', label: 'savings', reference: 'HOSTILE-ACCOUNT-0001' };
const link =
  (change: Record<string, unknown>): Build =>
  (c) => ({ method: 'POST', path: `/users/${ALICE}/external-accounts`, options: { token: c.app.api_key, body: changed(validLink, change, c) } });

/** POST /finance/withdrawals (or /finance/deposits) of 1 from ALICE to her account, changed by `change`. */
const withdrawal =
  (change: Record<string, unknown>, path = '/finance/withdrawals'): Build =>
  (c) => {
    const valid = { user_id: ALICE, amount: 1, external_account_id: c.aliceAccount, ...(path === '/finance/deposits' ? { reference: 'PAYMENT-0001' } : {}) };
    return { method: 'POST', path, options: { token: c.app.api_key, body: changed(valid, change, c) } };
  };

const adminCall =
  (method: string, path: string, body?: object): Build =>
  () => ({ method, path, options: { token: ADMIN_TOKEN, body } });

function changed(valid: Record<string, unknown>, change: Record<string, unknown>, c: Context): Record<string, unknown> {
  const body: Record<string, unknown> = { ...valid };
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) delete body[key];
    else body[key] = typeof value === 'function' ? (value as (c: Context) => unknown)(c) : value;
  }
  return body;
}
/** POST /webhooks with a valid registration changed by `change`. */
const webhook =
  (change: Record<string, unknown>): Build =>
  (c) => ({ method: 'POST', path: '/webhooks', options: { token: c.app.api_key, body: { url: 'https://93.184.216.34/hook', events: ['*'], ...change } } });

const list = (query: string): Build => appCall('GET', `/finance/transactions?${query}`);

/** A 401 with its message and its exact WWW-Authenticate challenge. */
const U = (name: string, message: RegExp, challenge: string) => ({
  name,
  status: 401,
  code: 'UNAUTHENTICATED',
  message,
  headers: { 'www-authenticate': challenge },
});
const NO_TOKEN = 'Bearer realm="coffer"';
const BAD_TOKEN = 'Bearer realm="coffer", error="invalid_token"';
const MISSING_KEY = /an API key is required: send "Authorization: Bearer <api_key>"/;
const MALFORMED = /Authorization header is malformed/;
const NOT_A_KEY = /not an API key/;
const UNKNOWN_KEY = /^the API key is unknown or revoked$/;

/** A 405 and the methods its Allow header must list. */
const M = (name: string, allow: string) => ({ name, status: 405, code: 'METHOD_NOT_ALLOWED', message: /is not allowed on/, headers: { allow } });

const V = (name: string, field: string | undefined, build: Build): Row => ({ name, status: 400, code: 'VALIDATION_FAILED', field, build });

/** A body nested `depth` levels: a debit of 1 whose `extra` field holds the other levels of arrays. */
const nestedBody = (depth: number) => rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1, "extra": ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);
const TOO_DEEP = /nested deeper than 32 levels/;

const rows: Row[] = [
  // ---- wrong types in a transaction body
  V('amount as a boolean', 'amount', transaction({ amount: true })),
  V('amount as an array', 'amount', transaction({ amount: [1] })),
  V('amount as an object', 'amount', transaction({ amount: { value: 1 } })),
  V('amount as null', 'amount', transaction({ amount: null })),
  V('amount as an empty string', 'amount', transaction({ amount: '' })),
  V('user_id as an object', 'user_id', transaction({ user_id: { id: ALICE } })),
  V('user_id as a float', 'user_id', transaction({ user_id: 1.5 })),
  V('user_id as a negative number', 'user_id', transaction({ user_id: -7 })),
  V('user_id as an empty string', 'user_id', transaction({ user_id: '' })),
  V('user_id of 65 characters', 'user_id', transaction({ user_id: 'a'.repeat(65) })),
  V('user_id with spaces', 'user_id', transaction({ user_id: 'hostile alice' })),
  V("user_id with a '/'", 'user_id', transaction({ user_id: 'hostile/alice' })),
  V('user_id as null', 'user_id', transaction({ user_id: null })),
  V("type 'refund'", 'type', transaction({ type: 'refund' })),
  V("type 'DEBIT' (case matters)", 'type', transaction({ type: 'DEBIT' })),
  V("event_id as the string 'abc'", 'event_id', transaction({ event_id: 'abc' })),
  V('event_id 0', 'event_id', transaction({ event_id: 0 })),
  V('event_id -1', 'event_id', transaction({ event_id: -1 })),
  V('event_id 1.5', 'event_id', transaction({ event_id: 1.5 })),
  V('event_id 2^53+2', 'event_id', rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1, "event_id": 9007199254740994}`)),
  V('currency as a number', 'currency', transaction({ currency: 123 })),
  V('description as an object', 'description', transaction({ description: { text: 'x' } })),

  // ---- free text (API.md: well-formed Unicode, no control characters but tab and newline, at most its length)
  V('NUL in a description', 'description', transaction({ description: 'a\u0000b' })),
  V('a lone surrogate in a description', 'description', transaction({ description: 'a\ud800b' })),
  V('a C1 control (U+0085) in a description', 'description', transaction({ description: 'a\u0085b' })),
  V('a C1 control (U+009B) in a transfer description', 'description', transfer({ from_user_id: BOB, to_user_id: ALICE, amount: 1, description: '\u009b31m' })),
  V('a description of 501 characters', 'description', transaction({ description: 'x'.repeat(501) })),
  {
    // At its limit the description passes (500 characters, an emoji counting as one): the debit is then refused for its own reason.
    name: 'a description of exactly 500 characters (emoji) on a debit of 101 from 100',
    status: 422,
    code: 'INSUFFICIENT_FUNDS',
    build: transaction({ amount: 101, description: '🎰'.repeat(500) }),
  },
  V('NUL in an event description', 'description', appCall('POST', '/finance/event', { description: 'round\u0000' })),
  V('NUL in an achievement name', 'name', appCall('POST', '/achievements', { key: 'hostile', name: 'n\u0000' })),
  V('a lone surrogate in an achievement description', 'description', appCall('POST', '/achievements', { key: 'hostile', name: 'n', description: '\udc00' })),
  // @ValidateNested looks into each item of a list, and @IsOptional's condition then reads the list's own `reward` (none): a list passed unchecked.
  V('an achievement reward as an empty list', 'reward', appCall('POST', '/achievements', { key: 'hostile', name: 'n', reward: [] })),
  V('an achievement reward as a list of a valid reward', 'reward', appCall('POST', '/achievements', { key: 'hostile', name: 'n', reward: [{ amount: 5 }] })),
  V('a C1 control in an app name', 'name', () => ({ method: 'POST', path: '/admin/apps', options: { token: ADMIN_TOKEN, body: { name: 'Poker\u0085' } } })),

  // ---- nesting (API.md: at most 32 levels)
  V('a body nested 32 levels (refused for its unknown field, not its depth)', 'extra', nestedBody(32)),
  { ...V('a body nested 33 levels', undefined, nestedBody(33)), message: TOO_DEEP },
  { ...V('a body nested 3,000 levels', undefined, nestedBody(3000)), message: TOO_DEEP },
  { ...V('a body of 3,000 nested objects', undefined, rawTransaction(`${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`)), message: TOO_DEEP },

  // ---- amounts
  V('amount zero', 'amount', transaction({ amount: 0 })),
  V('a negative amount', 'amount', transaction({ amount: -5 })),
  V('a negative amount string', 'amount', transaction({ amount: '-5' })),
  V('a fractional amount 1.5', 'amount', transaction({ amount: 1.5 })),
  V("a fractional amount string '1.5'", 'amount', transaction({ amount: '1.5' })),
  V("an exponent string '1e3'", 'amount', transaction({ amount: '1e3' })),
  V("a hex string '0x10'", 'amount', transaction({ amount: '0x10' })),
  V('a huge amount 10^19 as a JSON number', 'amount', rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 10000000000000000000}`)),
  V("a huge amount '1' followed by 40 zeros", 'amount', transaction({ amount: `1${'0'.repeat(40)}` })),
  V('an amount of 1e400 (Infinity as a double)', 'amount', rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1e400}`)),

  // ---- unknown and missing fields
  V('an unknown field', 'status', transaction({ status: 'posted' })),
  V('a missing user_id', 'user_id', transaction({ user_id: undefined })),
  V('a missing amount', 'amount', transaction({ amount: undefined })),
  V('a missing type', 'type', transaction({ type: undefined })),
  V('an empty object', 'amount', appCall('POST', '/finance/transaction', {})),
  V('a transfer without to_user_id', 'to_user_id', transfer({ from_user_id: BOB, amount: 1 })),
  V('a transfer with a negative amount string', 'amount', transfer({ from_user_id: BOB, to_user_id: ALICE, amount: '-5' })),
  V('a transfer from an array of users', 'from_user_id', transfer({ from_user_id: [BOB], to_user_id: ALICE, amount: 1 })),
  V('a grant with an amount as a boolean', 'amount', (c) => ({
    method: 'POST',
    path: '/admin/grants',
    options: { token: ADMIN_TOKEN, body: { user_id: ALICE, amount: false } },
  })),

  // ---- events that are not there, not ours, or not open
  { name: 'a transaction on an unknown event', status: 404, code: 'NOT_FOUND', build: transaction({ event_id: 987654321 }) },
  { name: 'a ping of an unknown event', status: 404, code: 'NOT_FOUND', build: appCall('POST', '/finance/event/987654321/ping') },
  {
    name: "a transaction on another app's event",
    status: 404,
    code: 'NOT_FOUND',
    build: transaction({ event_id: (c: Context) => c.otherAppEvent }),
  },
  { name: "a ping of another app's event", status: 404, code: 'NOT_FOUND', build: appCall('POST', (c) => `/finance/event/${c.otherAppEvent}/ping`) },
  {
    name: "a strong read of another app's event",
    status: 404,
    code: 'NOT_FOUND',
    build: appCall('GET', (c) => `/finance/event/${c.otherAppEvent}?consistency=strong`),
  },
  {
    name: 'a credit on a closed event',
    status: 409,
    code: 'EVENT_NOT_OPEN',
    build: transaction({ type: 'credit', event_id: (c: Context) => c.closedEvent }),
  },
  { name: 'a ping of a closed event', status: 409, code: 'EVENT_NOT_OPEN', build: appCall('POST', (c) => `/finance/event/${c.closedEvent}/ping`) },
  { name: 'a close of a closed event', status: 409, code: 'EVENT_NOT_OPEN', build: appCall('POST', (c) => `/finance/event/${c.closedEvent}/close`) },

  // ---- aborts of events that are not there, not ours, or not open
  { name: 'an abort of a closed event', status: 409, code: 'EVENT_NOT_OPEN', build: appCall('POST', (c) => `/finance/event/${c.closedEvent}/abort`) },
  { name: "an abort of another app's event", status: 404, code: 'NOT_FOUND', build: appCall('POST', (c) => `/finance/event/${c.otherAppEvent}/abort`) },
  { name: 'an abort of an unknown event', status: 404, code: 'NOT_FOUND', build: appCall('POST', '/finance/event/987654321/abort') },
  V('event id -5 in an abort path', undefined, appCall('POST', '/finance/event/-5/abort')),
  V('event id 2^53 in an abort path', undefined, appCall('POST', '/finance/event/9007199254740992/abort')),

  // ---- reversals: bad bodies and ids, transactions not ours or not posted, more than is left
  V('a reversal of 0', 'amount', reversal({ amount: 0 })),
  V('a reversal of -1', 'amount', reversal({ amount: -1 })),
  V("a reversal of '1.5'", 'amount', reversal({ amount: '1.5' })),
  V('a reversal with an amount as a boolean', 'amount', reversal({ amount: true })),
  V('a reversal with an unknown field', 'transaction_id', reversal({ transaction_id: 1 })),
  V('a reversal with a description of 501 characters', 'description', reversal({ description: 'd'.repeat(501) })),
  V('transaction id 0 in a reverse path', undefined, appCall('POST', '/finance/transactions/0/reverse', { amount: 1 })),
  V('transaction id 2^53 in a reverse path', undefined, appCall('POST', '/finance/transactions/9007199254740992/reverse', { amount: 1 })),
  V("transaction id 'abc' in a reverse path", undefined, appCall('POST', '/finance/transactions/abc/reverse', { amount: 1 })),
  { name: 'a reversal of 6 of a credit of 5', status: 422, code: 'LIMIT_EXCEEDED', build: reversal({ amount: 6 }) },
  { name: 'a reversal of a pending transaction', status: 409, code: 'CONFLICT', build: appCall('POST', (c) => `/finance/transactions/${c.pendingCredit}/reverse`) },
  { name: "a reversal of another app's transaction", status: 404, code: 'NOT_FOUND', build: appCall('POST', (c) => `/finance/transactions/${c.otherAppCredit}/reverse`) },
  { name: "an app's reversal of the admin's grant", status: 404, code: 'NOT_FOUND', build: appCall('POST', (c) => `/finance/transactions/${c.grant}/reverse`) },
  { name: 'a reversal of an unknown transaction', status: 404, code: 'NOT_FOUND', build: appCall('POST', '/finance/transactions/987654321/reverse') },
  {
    name: "an app key on the admin's reversal route",
    status: 401,
    code: 'UNAUTHENTICATED',
    build: appCall('POST', (c) => `/admin/transactions/${c.grant}/reverse`, { amount: 1 }),
  },

  // ---- money that is not there
  { name: 'a debit of 101 from 100', status: 422, code: 'INSUFFICIENT_FUNDS', build: transaction({ amount: 101 }) },
  { name: 'a debit of 10^18', status: 422, code: 'INSUFFICIENT_FUNDS', build: transaction({ amount: '1000000000000000000' }) },
  {
    name: 'a pending debit of 101 in an open event',
    status: 422,
    code: 'INSUFFICIENT_FUNDS',
    build: transaction({ amount: 101, event_id: (c: Context) => c.openEvent }),
  },
  { name: 'a transfer of 56 from 55', status: 422, code: 'INSUFFICIENT_FUNDS', build: transfer({ from_user_id: BOB, to_user_id: ALICE, amount: 56 }) },
  { name: 'a debit of an unknown user', status: 422, code: 'INSUFFICIENT_FUNDS', build: transaction({ user_id: 'hostile-nobody' }) },

  // ---- authentication: the message says what to fix (missing, malformed, unknown or revoked:
  // never which of the last two, so keys cannot be probed), the challenge follows RFC 6750
  { ...U('no Authorization header', MISSING_KEY, NO_TOKEN), build: withAuthorization(null) },
  { ...U("'Bearer' without a token", MALFORMED, NO_TOKEN), build: withAuthorization('Bearer') },
  { ...U('an empty Authorization header', MALFORMED, NO_TOKEN), build: withAuthorization('') },
  { ...U('Basic credentials', MALFORMED, NO_TOKEN), build: withAuthorization((c) => `Basic ${Buffer.from(`x:${c.app.api_key}`).toString('base64')}`) },
  { ...U('a truncated key', NOT_A_KEY, BAD_TOKEN), build: withAuthorization((c) => `Bearer ${c.app.api_key.slice(0, -1)}`) },
  { ...U('a key followed by garbage', MALFORMED, NO_TOKEN), build: withAuthorization((c) => `Bearer ${c.app.api_key} extra`) },
  { ...U('a well-formed unknown key', UNKNOWN_KEY, BAD_TOKEN), build: withAuthorization(() => `Bearer ${generateApiKey()}`) },
  { ...U('a revoked key', UNKNOWN_KEY, BAD_TOKEN), build: withAuthorization((c) => `Bearer ${c.revokedKey}`) },
  { ...U('a revoked key on a read', UNKNOWN_KEY, BAD_TOKEN), build: withAuthorization((c) => `Bearer ${c.revokedKey}`, 'GET', `/finance/balance/${ALICE}`) },
  { ...U('no token on GET /admin/apps', /admin token is required/, NO_TOKEN), build: withAuthorization(null, 'GET', '/admin/apps') },
  {
    ...U('an app key on POST /admin/grants', /not the admin token/, BAD_TOKEN),
    build: (c) => ({ method: 'POST', path: '/admin/grants', options: { token: c.app.api_key, body: { user_id: ALICE, amount: 1000 } } }),
  },
  { ...U('an app key on GET /admin/apps', /not the admin token/, BAD_TOKEN), build: appCall('GET', '/admin/apps') },
  { ...U('the admin token on /finance/transaction', /not an API key.*admin token works only on \/admin/, BAD_TOKEN), build: withAuthorization(`Bearer ${ADMIN_TOKEN}`) },
  { name: 'the admin token on /finance/balance', status: 401, code: 'UNAUTHENTICATED', build: withAuthorization(`Bearer ${ADMIN_TOKEN}`, 'GET', `/finance/balance/${ALICE}`) },
  {
    name: 'the key in the query string instead of the header',
    status: 401,
    code: 'UNAUTHENTICATED',
    build: (c) => ({ method: 'GET', path: `/finance/balance/${ALICE}?api_key=${c.app.api_key}`, options: {} }),
  },

  // ---- bodies that are not what they claim, or too big
  {
    name: 'a body over 64 KiB',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    build: transaction({ description: 'x'.repeat(70 * 1024) }),
  },
  {
    name: 'a chunked body over 64 KiB without a Content-Length',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    build: (c) => ({
      method: 'POST',
      path: '/finance/transaction',
      options: { token: c.app.api_key, body: { ...validDebit, description: 'y'.repeat(80 * 1024) }, chunkBytes: 8192 },
    }),
  },
  { name: 'a body that is not JSON', status: 400, code: 'MALFORMED_JSON', build: rawTransaction('user_id=hostile-alice&type=debit&amount=1') },
  { name: 'JSON with a trailing comma', status: 400, code: 'MALFORMED_JSON', build: rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1,}`) },
  {
    name: 'duplicate JSON keys',
    status: 400,
    code: 'MALFORMED_JSON',
    build: rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1, "amount": 100}`),
  },
  {
    name: 'duplicate JSON keys that disagree on the user',
    status: 400,
    code: 'MALFORMED_JSON',
    build: rawTransaction(`{"user_id": "${ALICE}", "type": "debit", "amount": 1, "user_id": "${BOB}"}`),
  },
  V('a JSON array as the body', undefined, rawTransaction(JSON.stringify([validDebit]))),
  V('a JSON string as the body', undefined, rawTransaction('"debit hostile-alice 1"')),
  V('a JSON number as the body', undefined, rawTransaction('42')),
  V('JSON null as the body', undefined, rawTransaction('null')),
  {
    name: 'a text/plain body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: /must be JSON: send Content-Type: application\/json/,
    build: rawTransaction(JSON.stringify(validDebit), { 'content-type': 'text/plain' }),
  },
  {
    name: 'a form-encoded body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: /send Content-Type: application\/json/,
    build: rawTransaction('user_id=hostile-alice&type=debit&amount=1', { 'content-type': 'application/x-www-form-urlencoded' }),
  },
  V('invalid UTF-8 in a user id (chunked)', 'user_id', (c) => ({
    method: 'POST',
    path: '/finance/transaction',
    options: {
      token: c.app.api_key,
      body: Buffer.concat([Buffer.from('{"user_id": "hostile-'), Buffer.from([0xc3, 0x28]), Buffer.from('", "type": "debit", "amount": 1}')]),
      chunkBytes: 1024,
    },
  })),

  // ---- idempotency keys
  {
    name: 'an Idempotency-Key reused for a debit after opening an event',
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
    build: (c) => ({ method: 'POST', path: '/finance/transaction', options: { token: c.app.api_key, body: validDebit, idempotencyKey: c.usedKey } }),
  },
  V('an empty Idempotency-Key', undefined, (c) => ({
    method: 'POST',
    path: '/finance/transaction',
    options: { token: c.app.api_key, body: validDebit, idempotencyKey: '' },
  })),
  V('a non-ASCII Idempotency-Key', undefined, (c) => ({
    method: 'POST',
    path: '/finance/transaction',
    options: { token: c.app.api_key, body: validDebit, headers: { 'idempotency-key': Buffer.from('clé', 'latin1').toString('latin1') } },
  })),

  // ---- query parameters of GET /finance/transactions
  V('limit 0', 'limit', list('limit=0')),
  V('limit 101', 'limit', list('limit=101')),
  V("limit 'x'", 'limit', list('limit=x')),
  V('limit 2.5', 'limit', list('limit=2.5')),
  V('page 0', 'page', list('page=0')),
  V("cursor 'abc'", 'cursor', list('cursor=abc')),
  V('cursor 0', 'cursor', list('cursor=0')),
  V("from 'yesterday'", 'from', list('from=yesterday')),
  V('to 2024-13-45', 'to', list('to=2024-13-45')),
  V('from 2026-W01 (an ISO week)', 'from', list('from=2026-W01')),
  V('from 2026-334 (an ordinal date)', 'from', list('from=2026-334')),
  V('to without an offset', 'to', list('to=2026-11-30T12:00:00')),
  V('from year 0000', 'from', list('from=0000-01-01')),
  V('both page and cursor', 'cursor', list('page=2&cursor=5')),
  V("a type filter 'refund'", 'type', list('type=refund')),
  V("a status filter 'done'", 'status', list('status=done')),
  V('a user_id filter with a space', 'user_id', list('user_id=a%20b')),
  V('an event_id filter 0', 'event_id', list('event_id=0')),
  V("an event_id filter 'abc'", 'event_id', list('event_id=abc')),
  V('min_position -1', 'min_position', list('min_position=-1')),
  V("consistency 'maybe' on the transaction list", 'consistency', list('consistency=maybe')),
  V('an unknown query parameter', 'sort', list('sort=asc')),
  V('page 101 × limit 100: offset paging beyond 10,000 rows', 'page', list('page=101&limit=100')),
  V('page 1001 at the default limit of 10', 'page', list('page=1001')),

  // ---- a balance at a time, statements and leaderboards (issue 13's reads)
  V("at 'yesterday' on a balance", 'at', appCall('GET', `/finance/balance/${ALICE}?at=yesterday`)),
  V('at without an offset on a balance', 'at', appCall('GET', `/finance/balance/${ALICE}?at=2026-11-30T12:00:00`)),
  V('at 2026-02-30 on a balance', 'at', appCall('GET', `/finance/balance/${ALICE}?at=2026-02-30`)),
  V('at with consistency=strong on a balance', 'at', appCall('GET', `/finance/balance/${ALICE}?at=2026-11-30&consistency=strong`)),
  V('two at values on a balance', 'at', appCall('GET', `/finance/balance/${ALICE}?at=2026-11-30&at=2026-12-01`)),
  V("a statement currency 'COINS'", 'currency', appCall('GET', `/finance/statement/${ALICE}?currency=COINS`)),
  V('a statement currency of 33 characters', 'currency', appCall('GET', `/finance/statement/${ALICE}?currency=${'c'.repeat(33)}`)),
  V("a statement from 'last week'", 'from', appCall('GET', `/finance/statement/${ALICE}?from=last%20week`)),
  V('a statement to before its from', 'to', appCall('GET', `/finance/statement/${ALICE}?from=2026-12-01&to=2026-11-01`)),
  V("a statement format 'xml'", 'format', appCall('GET', `/finance/statement/${ALICE}?format=xml`)),
  V('a statement with consistency=strong', 'consistency', appCall('GET', `/finance/statement/${ALICE}?consistency=strong`)),
  V('a statement with a limit', 'limit', appCall('GET', `/finance/statement/${ALICE}?limit=10`)),
  V("a user id with an encoded space in the statement path", undefined, appCall('GET', '/finance/statement/hostile%20alice')),
  V('limit 0 on the balance leaderboard', 'limit', appCall('GET', '/leaderboards/balances?limit=0')),
  V('limit 101 on the balance leaderboard', 'limit', appCall('GET', '/leaderboards/balances?limit=101')),
  V("limit '1e2' on the balance leaderboard", 'limit', appCall('GET', '/leaderboards/balances?limit=1e2')),
  V("a balance leaderboard currency 'c o'", 'currency', appCall('GET', '/leaderboards/balances?currency=c%20o')),
  V('limit 101 on the achievement leaderboard', 'limit', appCall('GET', '/leaderboards/achievements?limit=101')),
  V('a currency on the achievement leaderboard', 'currency', appCall('GET', '/leaderboards/achievements?currency=coins')),
  V('min_position -1 on a leaderboard', 'min_position', appCall('GET', '/leaderboards/achievements?min_position=-1')),
  { name: 'no key on a leaderboard', status: 401, code: 'UNAUTHENTICATED', build: withAuthorization(null, 'GET', '/leaderboards/balances') },
  { name: 'the admin token on a statement', status: 401, code: 'UNAUTHENTICATED', build: withAuthorization(`Bearer ${ADMIN_TOKEN}`, 'GET', `/finance/statement/${ALICE}`) },

  // ---- every other list is paged too
  V('limit 101 on the achievements list', 'limit', appCall('GET', '/achievements?limit=101')),
  V('a cursor that is no achievement key on the achievements list', 'cursor', appCall('GET', '/achievements?cursor=a%20b')),
  V("limit 101 on a user's badges", 'limit', appCall('GET', `/users/${ALICE}/achievements?limit=101`)),
  V("a cursor without its app on a user's badges", 'cursor', appCall('GET', `/users/${ALICE}/achievements?cursor=first_win`)),
  V('limit 101 on the admin list of apps', 'limit', () => ({ method: 'GET', path: '/admin/apps?limit=101', options: { token: ADMIN_TOKEN } })),

  // ---- path ids
  V('event id 1e3 in a ping path', undefined, appCall('POST', '/finance/event/1e3/ping')),
  V('event id -5 in a close path', undefined, appCall('POST', '/finance/event/-5/close')),
  V('event id 0x10 in a close path', undefined, appCall('POST', '/finance/event/0x10/close')),
  V('event id with leading zeros', undefined, appCall('POST', '/finance/event/00012/ping')),
  V('event id 2^53', undefined, appCall('GET', '/finance/event/9007199254740992')),
  V("a user id with an encoded '/' in the balance path", undefined, appCall('GET', '/finance/balance/hostile%2Falice')),
  V('a user id with an encoded space in the balance path', undefined, appCall('GET', '/finance/balance/hostile%20alice')),
  // ---- allowances and app settings (nothing here may pay or change an app)
  V('a currency path that is no currency on an allowance', 'currency', admin('PUT', '/admin/allowances/Gold!', { amount: 5, period: 'daily' })),
  V('an allowance of 0', 'amount', admin('PUT', '/admin/allowances/hostile_coins', { amount: 0, period: 'daily' })),
  V("an allowance period 'hourly'", 'period', admin('PUT', '/admin/allowances/hostile_coins', { amount: 5, period: 'hourly' })),
  V('an allowance without a period', 'period', admin('PUT', '/admin/allowances/hostile_coins', { amount: 5 })),
  V('an unknown field on an allowance', 'user_id', admin('PUT', '/admin/allowances/hostile_coins', { amount: 5, period: 'daily', user_id: ALICE })),
  { name: 'an app key setting an allowance', status: 401, code: 'UNAUTHENTICATED', build: appCall('PUT', '/admin/allowances/hostile_coins', { amount: 5, period: 'daily' }) },
  { name: 'removing an allowance never set', status: 404, code: 'NOT_FOUND', build: admin('DELETE', '/admin/allowances/hostile_none') },
  { name: 'a claim of an allowance never set', status: 404, code: 'NOT_FOUND', build: appCall('POST', '/finance/allowances/hostile_none/claim', { user_id: ALICE }) },
  V('a claim with a currency path that is no currency', 'currency', appCall('POST', '/finance/allowances/GOLD/claim', { user_id: ALICE })),
  V('a claim without a user', 'user_id', appCall('POST', '/finance/allowances/hostile_none/claim', {})),
  V('a claim for a user id with a space', 'user_id', appCall('POST', '/finance/allowances/hostile_none/claim', { user_id: 'hostile alice' })),
  V('a claim with an amount of its own', 'amount', appCall('POST', '/finance/allowances/hostile_none/claim', { user_id: ALICE, amount: 1000 })),
  { name: 'the admin token on a claim', status: 401, code: 'UNAUTHENTICATED', build: withAuthorization(`Bearer ${ADMIN_TOKEN}`, 'POST', '/finance/allowances/coins/claim') },
  V("a scope 'mint'", 'scopes', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { scopes: ['mint'] })),
  V('scopes as a string', 'scopes', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { scopes: 'transfers' })),
  V('a scope twice', 'scopes', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { scopes: ['transfers', 'transfers'] })),
  V("a currency 'Coins'", 'currencies', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { currencies: ['Coins'] })),
  V('33 currencies', 'currencies', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { currencies: Array.from({ length: 33 }, (_, i) => `c${i}`) })),
  V('a mint limit of -1', 'mint_limit_per_day', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { mint_limit_per_day: { coins: -1 } })),
  V('a mint limit of 10^19', 'mint_limit_per_day', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { mint_limit_per_day: { coins: '10000000000000000000' } })),
  V('mint limits as a list', 'mint_limit_per_day', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { mint_limit_per_day: [100] })),
  V('a mint limit for a currency that is no currency', 'mint_limit_per_day', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { mint_limit_per_day: { 'GOLD!': 5 } })),
  V('an unknown app setting', 'name', admin('PATCH', (c) => `/admin/apps/${c.other.app_id}`, { name: 'Renamed' })),
  { name: 'settings of an unknown app', status: 404, code: 'NOT_FOUND', build: admin('PATCH', '/admin/apps/app_987654', { scopes: [] }) },
  { name: 'an app key changing its own settings', status: 401, code: 'UNAUTHENTICATED', build: appCall('PATCH', (c) => `/admin/apps/${c.app.app_id}`, { scopes: null }) },
  // ---- operators: admin tokens, the audit trail, daily figures
  V("an admin token role 'root'", 'role', admin('POST', '/admin/tokens', { name: 'hostile', role: 'root' })),
  V('an admin token without a name', 'name', admin('POST', '/admin/tokens', { role: 'auditor' })),
  V('an admin token name of 101 characters', 'name', admin('POST', '/admin/tokens', { name: 'x'.repeat(101), role: 'auditor' })),
  V('an admin token with its own secret', 'token', admin('POST', '/admin/tokens', { name: 'hostile', role: 'admin', token: 'cadm_mine' })),
  V('an admin token id with a slash', undefined, adminCall('DELETE', '/admin/tokens/adm%2F1')),
  { name: 'deleting an admin token that does not exist', status: 404, code: 'NOT_FOUND', build: adminCall('DELETE', '/admin/tokens/adm_987654') },
  { name: 'an app key creating an admin token', status: 401, code: 'UNAUTHENTICATED', build: appCall('POST', '/admin/tokens', { name: 'mine', role: 'admin' }) },
  V('an audit limit of 0', 'limit', adminCall('GET', '/admin/audit?limit=0')),
  V('an audit limit of 101', 'limit', adminCall('GET', '/admin/audit?limit=101')),
  V('an audit cursor that is no position', 'cursor', adminCall('GET', '/admin/audit?cursor=-1')),
  V("an audit 'from' that is no time", 'from', adminCall('GET', '/admin/audit?from=yesterday')),
  V("an audit 'to' before its 'from'", 'to', adminCall('GET', '/admin/audit?from=2026-11-02&to=2026-11-01')),
  V('an audit user id with a space', 'user_id', adminCall('GET', '/admin/audit?user_id=a%20b')),
  V('an audit type with a digit', 'type', adminCall('GET', '/admin/audit?type=Grant2')),
  V('an audit correlation id of 129 characters', 'correlation_id', adminCall('GET', `/admin/audit?correlation_id=${'c'.repeat(129)}`)),
  V('daily figures without a range', 'from', adminCall('GET', '/admin/stats/daily?to=2026-11-01')),
  V('daily figures from 2026-02-30', 'from', adminCall('GET', '/admin/stats/daily?from=2026-02-30&to=2026-03-01')),
  V("daily figures whose 'to' is before 'from'", 'to', adminCall('GET', '/admin/stats/daily?from=2026-11-02&to=2026-11-01')),
  V('daily figures of a currency that is no currency', 'currency', adminCall('GET', '/admin/stats/daily?from=2026-11-01&to=2026-11-01&currency=GOLD!')),
  { name: 'daily figures over 367 days', status: 422, code: 'LIMIT_EXCEEDED', build: adminCall('GET', '/admin/stats/daily?from=2025-01-01&to=2026-01-02') },
  // ---- external accounts, withdrawals and deposits
  V("kind 'savings'", 'kind', link({ kind: 'savings' })),
  V('kind missing', 'kind', link({ kind: undefined })),
  V('an empty label', 'label', link({ label: '' })),
  V('a label of 65 characters', 'label', link({ label: 'x'.repeat(65) })),
  V('NUL in a label', 'label', link({ label: 'a\u0000b' })),
  V('a reference of 3 characters', 'reference', link({ reference: 'abc' })),
  V('a reference of 129 characters', 'reference', link({ reference: 'x'.repeat(129) })),
  V('a reference with a space', 'reference', link({ reference: 'DE89 3704' })),
  V('a reference with non-ASCII letters', 'reference', link({ reference: 'KONTO-ÄÖÜ-1' })),
  V('a reference as a number', 'reference', link({ reference: 12345678 })),
  V('a reference missing', 'reference', link({ reference: undefined })),
  V('an unknown field on a link', 'iban', link({ iban: 'DE89370400440532013000' })),
  V('a user id with a space in the external accounts path', undefined, appCall('GET', '/users/hostile%20alice/external-accounts')),
  V('external account id 0 in an unlink path', undefined, appCall('DELETE', `/users/${ALICE}/external-accounts/0`)),
  V('external account id 1e3 in an unlink path', undefined, appCall('DELETE', `/users/${ALICE}/external-accounts/1e3`)),
  { name: 'unlinking an account that does not exist', status: 404, code: 'NOT_FOUND', build: appCall('DELETE', `/users/${ALICE}/external-accounts/999999`) },
  V('a withdrawal of 0', 'amount', withdrawal({ amount: 0 })),
  V('a withdrawal of -1', 'amount', withdrawal({ amount: -1 })),
  V('a withdrawal of 1.5', 'amount', withdrawal({ amount: 1.5 })),
  V('a withdrawal without its external account', 'external_account_id', withdrawal({ external_account_id: undefined })),
  V("a withdrawal to external account 'abc'", 'external_account_id', withdrawal({ external_account_id: 'abc' })),
  V('a withdrawal to external account 0', 'external_account_id', withdrawal({ external_account_id: 0 })),
  V("a withdrawal in currency 'Gold Bars'", 'currency', withdrawal({ currency: 'Gold Bars' })),
  V('a withdrawal with a description (no such field)', 'description', withdrawal({ description: 'cash out' })),
  { name: 'a withdrawal of 101 from 100', status: 422, code: 'INSUFFICIENT_FUNDS', build: withdrawal({ amount: 101 }) },
  { name: 'a withdrawal to an account that does not exist', status: 404, code: 'NOT_FOUND', build: withdrawal({ external_account_id: 999999 }) },
  { name: "a withdrawal to another user's account", status: 404, code: 'NOT_FOUND', build: withdrawal({ user_id: BOB }) },
  V('a deposit without its reference', 'reference', withdrawal({ reference: undefined }, '/finance/deposits')),
  V('a deposit with a reference of 2 characters', 'reference', withdrawal({ reference: 'ab' }, '/finance/deposits')),
  V('a deposit of 0', 'amount', withdrawal({ amount: 0 }, '/finance/deposits')),
  { name: 'a deposit of a payment reported already', status: 409, code: 'CONFLICT', build: withdrawal({}, '/finance/deposits') },
  V('withdrawal id 0 in an accept path', undefined, adminCall('POST', '/admin/withdrawals/0/accept')),
  V("withdrawal id 'abc' in an accept path", undefined, adminCall('POST', '/admin/withdrawals/abc/accept')),
  V('deposit id -1 in a decline path', undefined, adminCall('POST', '/admin/deposits/-1/decline', { reason: 'x' })),
  { name: 'accepting a withdrawal that does not exist', status: 404, code: 'NOT_FOUND', build: adminCall('POST', '/admin/withdrawals/999999/accept') },
  { name: 'declining a deposit that does not exist', status: 404, code: 'NOT_FOUND', build: adminCall('POST', '/admin/deposits/999999/decline', { reason: 'x' }) },
  V('a decline without a reason', 'reason', adminCall('POST', '/admin/withdrawals/1/decline', {})),
  V('a decline with an empty reason', 'reason', adminCall('POST', '/admin/withdrawals/1/decline', { reason: '' })),
  V('a decline with a reason of 501 characters', 'reason', adminCall('POST', '/admin/withdrawals/1/decline', { reason: 'x'.repeat(501) })),
  V('a decline with NUL in its reason', 'reason', adminCall('POST', '/admin/deposits/1/decline', { reason: 'a\u0000b' })),
  V("a withdrawal list of status 'pending'", 'status', adminCall('GET', '/admin/withdrawals?status=pending')),
  V('a withdrawal list of limit 101', 'limit', adminCall('GET', '/admin/withdrawals?limit=101')),
  V("a deposit list with cursor 'abc'", 'cursor', adminCall('GET', '/admin/deposits?cursor=abc')),
  V('a deposit list with min_position -1', 'min_position', adminCall('GET', '/admin/deposits?min_position=-1')),
  { name: "an app's key accepting a withdrawal", status: 401, code: 'UNAUTHENTICATED', build: appCall('POST', '/admin/withdrawals/1/accept') },
  { name: 'the admin token asking for a withdrawal', status: 401, code: 'UNAUTHENTICATED', build: (c) => ({ ...withdrawal({})(c), options: { ...withdrawal({})(c).options, token: ADMIN_TOKEN } }) },
  // ---- webhooks: the body's shape, where the URL leads (SSRF, before and after DNS), path ids, paging
  V('a webhook url with ftp://', 'url', webhook({ url: 'ftp://example.com/hook' })),
  V('a webhook url of 2049 characters', 'url', webhook({ url: `https://example.com/${'a'.repeat(2029)}` })),
  V('a webhook url with credentials', 'url', webhook({ url: 'https://user:pass@example.com/hook' })),
  V('a webhook url with a fragment', 'url', webhook({ url: 'https://example.com/hook#x' })),
  V('a webhook url that is no URL', 'url', webhook({ url: 'not a url' })),
  V('a webhook url as a number', 'url', webhook({ url: 42 })),
  V('webhook events empty', 'events', webhook({ events: [] })),
  V("webhook events with an unknown type 'money.printed'", 'events', webhook({ events: ['money.printed'] })),
  V('webhook events repeating a type', 'events', webhook({ events: ['transaction.posted', 'transaction.posted'] })),
  V("webhook events mixing '*' with a type", 'events', webhook({ events: ['*', 'event.expired'] })),
  V('webhook events as a string', 'events', webhook({ events: '*' })),
  V('webhook events of 17 entries', 'events', webhook({ events: Array.from({ length: 17 }, () => '*') })),
  V('a webhook over http:// without COFFER_WEBHOOK_ALLOW_PRIVATE', 'url', webhook({ url: 'http://example.com/hook' })),
  V('a webhook to loopback 127.0.0.1', 'url', webhook({ url: 'https://127.0.0.1/hook' })),
  V('a webhook to loopback [::1]', 'url', webhook({ url: 'https://[::1]:8443/hook' })),
  V('a webhook to loopback mapped in IPv6 [::ffff:127.0.0.1]', 'url', webhook({ url: 'https://[::ffff:127.0.0.1]/hook' })),
  V('a webhook to loopback written as one number (2130706433)', 'url', webhook({ url: 'https://2130706433/hook' })),
  V('a webhook to the private 10.0.0.1', 'url', webhook({ url: 'https://10.0.0.1/hook' })),
  V('a webhook to the private 192.168.1.1', 'url', webhook({ url: 'https://192.168.1.1/hook' })),
  V('a webhook to the cloud metadata service 169.254.169.254', 'url', webhook({ url: 'https://169.254.169.254/latest/meta-data' })),
  V('a webhook to link-local [fe80::1]', 'url', webhook({ url: 'https://[fe80::1]/hook' })),
  V('a webhook to 0.0.0.0', 'url', webhook({ url: 'https://0.0.0.0/hook' })),
  V('a webhook to a name that resolves to loopback (localhost), refused after DNS', 'url', webhook({ url: 'https://localhost/hook' })),
  V('webhook id 0 in a delete path', undefined, appCall('DELETE', '/webhooks/0')),
  V("webhook id 'abc' in a deliveries path", undefined, appCall('GET', '/webhooks/abc/deliveries')),
  V('limit 101 on a webhook’s deliveries', 'limit', appCall('GET', (c) => `/webhooks/${c.otherWebhook}/deliveries?limit=101`)),
  V('a cursor that is no sequence number on a webhook’s deliveries', 'cursor', appCall('GET', (c) => `/webhooks/${c.otherWebhook}/deliveries?cursor=abc`)),
  { name: "deleting another app's webhook", status: 404, code: 'NOT_FOUND', build: appCall('DELETE', (c) => `/webhooks/${c.otherWebhook}`) },
  { name: "another app's webhook deliveries", status: 404, code: 'NOT_FOUND', build: appCall('GET', (c) => `/webhooks/${c.otherWebhook}/deliveries`) },
  { name: 'deleting a webhook that never was', status: 404, code: 'NOT_FOUND', build: appCall('DELETE', '/webhooks/999999') },
  {
    name: 'a webhook registration with a used Idempotency-Key',
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
    build: (c) => ({ method: 'POST', path: '/webhooks', options: { token: c.other.api_key, body: { url: 'https://93.184.216.34/other', events: ['*'] }, idempotencyKey: 'hostile-webhook' } }),
  },
  { name: 'an unknown route', status: 404, code: 'NOT_FOUND', build: appCall('GET', '/finance/everything') },
  { name: 'an unknown route under the admin prefix', status: 404, code: 'NOT_FOUND', build: () => ({ method: 'GET', path: '/admin/everything', options: { token: ADMIN_TOKEN } }) },
  // ---- a path that exists, with a method it does not have: 405 and what it takes
  { ...M('DELETE on /finance/transaction', 'POST'), build: appCall('DELETE', '/finance/transaction') },
  { ...M('GET on /finance/transfer', 'POST'), build: appCall('GET', '/finance/transfer') },
  { ...M('PUT on a balance', 'GET, HEAD'), build: appCall('PUT', `/finance/balance/${ALICE}`, validDebit) },
  { ...M('DELETE on a ping, with a query string', 'POST'), build: appCall('DELETE', (c) => `/finance/event/${c.openEvent}/ping?x=1`) },
  { ...M('POST on /health, without credentials', 'GET, HEAD'), build: () => ({ method: 'POST', path: '/health', options: { body: {} } }) },
];

describe('hostile requests over HTTP', () => {
  let stack: Stack;
  const c = {} as Context;
  const seen: Array<Answer<unknown>> = [];
  /** No token of its own: each attempt carries what it carries (or nothing). */
  const client = () => ApiClient.http(c.base);
  const send = (attempt: Attempt) => client().send(attempt.method, attempt.path, attempt.options);
  /** Expects `status` with a body and answers the reply. */
  const ok = async <Reply>(sent: Promise<Answer<Reply>>, status: number): Promise<Reply> => {
    const answer = await sent;
    expect({ status: answer.status, body: answer.body }).toEqual({ status, body: expect.anything() });
    return answer.reply;
  };

  /** Everything a stray write could change: balances (ledger and read models) and transaction lists. */
  const books = async () => {
    const get = async <Reply>(sent: Promise<Answer<Reply>>): Promise<Reply> => {
      const answer = await sent;
      const path = answer.request;
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 200, body: expect.anything() });
      return answer.reply;
    };
    const app = client().as(c.app.api_key);
    const snapshot: Record<string, unknown> = {};
    for (const user of [ALICE, BOB, 'hostile-nobody']) {
      snapshot[`strong ${user}`] = await get(app.balance(user, { consistency: 'strong' }));
      snapshot[`read model ${user}`] = await get(app.balance(user));
      snapshot[`transactions of ${user}`] = await get(app.transactions({ user_id: user, limit: 100 }));
    }
    snapshot['transactions of the app'] = await get(app.transactions({ limit: 100 }));
    snapshot['transactions of the other app'] = await get(client().as(c.other.api_key).transactions({ limit: 100 }));
    snapshot['open event'] = (await get(app.event(c.openEvent, { consistency: 'strong' }))).transactions;
    snapshot['closed event'] = (await get(app.event(c.closedEvent, { consistency: 'strong' }))).transactions;
    return snapshot;
  };
  let before: Record<string, unknown>;
  /**
   * The 5xx counters before any row is sent: the harness waits for the gateway by probing a read
   * until the key registry is loaded, and on a loaded machine those probes are counted as 503s.
   * Only what the rows add is theirs.
   */
  let serverErrorsBefore: string[];
  const serverErrorLines = async (): Promise<string[]> => {
    const metrics = await client().metrics();
    expect(metrics.status).toBe(200);
    return metrics.text.split('\n').filter((line) => /^coffer_http_requests_total\{.*status="5\d\d"/.test(line));
  };

  beforeAll(async () => {
    stack = await Stack.start('gateway_hostile');
    c.base = await listenOnLoopback(stack.gateway);
    const admin = client().as(ADMIN_TOKEN);
    c.app = await stack.registerApp('Hostile Blackjack');
    c.other = await stack.registerApp('Hostile Poker');

    const extra = await ok(admin.issueKey(c.app.app_id), 201);
    await admin.revokeKey(c.app.app_id, extra.key_id).then((answer) => expect(answer.status).toBe(204));
    c.revokedKey = String(extra.api_key);

    c.grant = (await ok(admin.grant({ user_id: ALICE, amount: 100 }), 201)).transaction_id;
    await ok(admin.grant({ user_id: BOB, amount: 50 }), 201);
    const app = client().as(c.app.api_key);
    const other = client().as(c.other.api_key);
    c.openEvent = (await ok(app.openEvent({ description: 'open round' }), 201)).event_id;
    c.closedEvent = (await ok(app.openEvent({ description: 'closed round' }), 201)).event_id;
    c.closedCredit = (await ok(app.postTransaction({ user_id: BOB, event_id: c.closedEvent, type: 'credit', amount: 5 }), 201)).transaction_id;
    c.pendingCredit = (await ok(app.postTransaction({ user_id: BOB, event_id: c.openEvent, type: 'credit', amount: 3 }), 201)).transaction_id;
    await ok(app.closeEvent(c.closedEvent), 200);
    c.otherAppEvent = (await ok(other.openEvent(), 201)).event_id;
    c.otherAppCredit = (await ok(other.postTransaction({ user_id: ALICE, event_id: c.otherAppEvent, type: 'credit', amount: 7 }), 201)).transaction_id;
    c.aliceAccount = (await ok(app.linkExternalAccount(ALICE, { kind: 'bank', label: 'savings', reference: 'HOSTILE-ACCOUNT-0000' }), 201)).external_account_id;
    // The payment every deposit row reports: reported once here, so a well-formed deposit row is a repeat.
    await ok(app.requestDeposit({ user_id: ALICE, amount: 1, external_account_id: c.aliceAccount, reference: 'PAYMENT-0001' }), 201);
    c.otherWebhook = (
      await ok(other.createWebhook({ url: 'https://93.184.216.34/hostile', events: ['achievement.unlocked'] }, { idempotencyKey: 'hostile-webhook' }), 201)
    ).webhook_id;
    c.usedKey = newIdempotencyKey();
    await ok(app.openEvent({ description: 'keyed' }, { idempotencyKey: c.usedKey }), 201);

    before = await books();
    expect(before[`strong ${ALICE}`]).toEqual({
      user_id: ALICE,
      balances: [{ currency: 'coins', available: '100', posted: '100', pending_debit: '0', pending_credit: '8' }],
    });
    expect(before[`strong ${BOB}`]).toMatchObject({ balances: [{ currency: 'coins', available: '55', posted: '55' }] });
    serverErrorsBefore = await serverErrorLines();
  });

  afterAll(async () => {
    await stack?.close(); // drops its database and JetStream stream too
  });

  it('has at least 40 rows, each with a distinct name', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);
  });

  it.each(rows.map((row) => [`${row.status} ${row.code}: ${row.name}`, row] as const))('%s', async (_name, row) => {
    const answer = await send(row.build(c));
    seen.push(answer);
    expect({ status: answer.status, code: answer.errorCode }).toEqual({ status: row.status, code: row.code });
    expect(answer.error.message).toEqual(expect.any(String));
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    if (row.field !== undefined) expect(Object.keys(answer.fieldErrors)).toContain(row.field);
    if (row.message !== undefined) expect(answer.error.message).toMatch(row.message);
    else expect(answer.error.message).not.toMatch(TOO_DEEP);
    for (const [name, value] of Object.entries(row.headers ?? {})) expect({ [name]: answer.headers[name] }).toEqual({ [name]: value });
    if (row.status === 401 && row.headers === undefined) expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="coffer"/);
  });

  it('answered every row with a 4xx, never a 5xx, and counted none as a server error', async () => {
    expect(seen).toHaveLength(rows.length);
    expect(seen.filter((answer) => answer.status < 400 || answer.status >= 500)).toEqual([]);
    expect(await serverErrorLines()).toEqual(serverErrorsBefore);
  });

  it('registered no webhook for the app that sent the rows, and left the other app’s as it was', async () => {
    expect((await client().as(c.app.api_key).webhooks()).reply.data).toEqual([]);
    expect((await client().as(c.other.api_key).webhooks()).reply.data.map((w) => w.webhook_id)).toEqual([c.otherWebhook]);
  });

  it('left every balance and every transaction list as it was', async () => {
    // The last rows wrote nothing, but give the read models a moment in case one of them did.
    const after = await until(books, (now) => JSON.stringify(now) === JSON.stringify(before), 2000);
    expect(after).toEqual(before);
  });
});
