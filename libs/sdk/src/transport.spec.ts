/**
 * The transport's retries against a real HTTP server on loopback that misbehaves on purpose:
 * what goes over the wire (the same Idempotency-Key and correlation id on every attempt), when
 * it stops (attempts, deadline, a refusal that is final), and what it throws.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Coffer } from './client';
import {
  CofferError,
  EventNotOpenError,
  InsufficientFundsError,
  NetworkError,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from './errors';
import { InvalidArgumentError } from './values';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (request: Seen, response: ServerResponse, attempt: number) => void;

let server: Server;
let base: string;
let handler: Handler;
let seen: Seen[];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      handler(entry, response, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};
const refusal = (code: string, message = code, details?: object) => ({ error: { code, message, ...(details ? { details } : {}) } });
const tx = { transaction_id: 7, event_id: null, user_id: 'u1', type: 'credit', amount: '5', currency: 'coins', status: 'posted', description: null, created_at: '2026-11-30T12:00:00Z' };
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

async function caught(promise: Promise<unknown>): Promise<CofferError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CofferError);
  return error as CofferError;
}

describe('transport', () => {
  it('retries a 503 and a dropped connection with the same Idempotency-Key and correlation id, then answers', async () => {
    handler = (request, response, attempt) => {
      if (attempt === 1) return json(response, 503, refusal('UNAVAILABLE'), { 'retry-after': '0' });
      if (attempt === 2) return response.socket?.destroy();
      json(response, 201, tx);
    };
    const coffer = new Coffer({ baseUrl: `${base}/`, apiKey: 'key_1', retry: fast });
    const posted = await coffer.transactions.post({ user_id: 169015299834642432n, type: 'credit', amount: 5n, description: 'bonus' });
    expect(posted).toEqual(tx);
    expect(seen).toHaveLength(3);
    const keys = new Set(seen.map((s) => s.headers['idempotency-key']));
    const correlations = new Set(seen.map((s) => s.headers['x-correlation-id']));
    expect(keys.size).toBe(1);
    expect(correlations.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    for (const s of seen) {
      expect(s).toMatchObject({ method: 'POST', url: '/finance/transaction' });
      expect(s.headers.authorization).toBe('Bearer key_1');
      expect(s.headers['content-type']).toBe('application/json');
      // The snowflake travels as its exact digits, the amount as a string of digits.
      expect(JSON.parse(s.body)).toEqual({ user_id: '169015299834642432', type: 'credit', amount: '5', description: 'bonus' });
    }
    // The next logical call gets a key of its own.
    handler = (_request, response) => json(response, 201, tx);
    await coffer.transactions.post({ user_id: 'u1', type: 'credit', amount: 5 });
    expect(seen[3].headers['idempotency-key']).not.toBe([...keys][0]);
  });

  it('waits what Retry-After asks on a 429 before the next attempt', async () => {
    handler = (_request, response, attempt) => (attempt === 1 ? json(response, 429, refusal('RATE_LIMITED'), { 'retry-after': '1' }) : json(response, 201, tx));
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k', retry: fast });
    const started = Date.now();
    await coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
  });

  it('throws a final refusal at once, typed by its code, with details and the correlation id the gateway answered', async () => {
    handler = (_request, response) => json(response, 422, refusal('INSUFFICIENT_FUNDS', 'not enough coins', { available: '3' }), { 'x-correlation-id': 'corr-from-gateway' });
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k', retry: fast });
    const error = await caught(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 5 }, { idempotencyKey: 'my-key-1' }));
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect(error).toMatchObject({ name: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS', status: 422, message: 'not enough coins', details: { available: '3' }, correlationId: 'corr-from-gateway', idempotencyKey: 'my-key-1', attempts: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0].headers['idempotency-key']).toBe('my-key-1');

    handler = (_request, response) => json(response, 409, refusal('EVENT_NOT_OPEN'));
    expect(await caught(coffer.events.ping(3))).toBeInstanceOf(EventNotOpenError);
    handler = (_request, response) => json(response, 400, refusal('VALIDATION_FAILED', 'bad', { field: 'amount' }));
    expect(await caught(coffer.balances.get('u1'))).toBeInstanceOf(ValidationError);
    // An answer without an error body is typed by its status; an unknown code is kept as it came.
    handler = (_request, response) => {
      response.writeHead(404);
      response.end('no');
    };
    expect(await caught(coffer.balances.get('u1'))).toMatchObject({ name: 'NotFoundError', code: 'NOT_FOUND', status: 404 });
    handler = (_request, response) => json(response, 418, refusal('TEAPOT'));
    expect(await caught(coffer.balances.get('u1'))).toMatchObject({ name: 'CofferError', code: 'TEAPOT', status: 418 });
  });

  it('gives up after maxAttempts with the last error, and within the deadline', async () => {
    handler = (_request, response) => json(response, 503, refusal('UNAVAILABLE', 'ledger restarting'), { 'retry-after': '0' });
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k', retry: { ...fast, maxAttempts: 4 } });
    const error = await caught(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 5 }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.attempts).toBe(4);
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((s) => s.headers['idempotency-key'])).size).toBe(1);

    seen = [];
    handler = (_request, response) => json(response, 429, refusal('RATE_LIMITED'), { 'retry-after': '30' });
    const started = Date.now();
    const limited = await caught(new Coffer({ baseUrl: base, apiKey: 'k', retry: { ...fast, deadlineMs: 2000 } }).balances.get('u1'));
    expect(limited).toBeInstanceOf(RateLimitedError);
    // Retry-After: 30 reaches past a 2 s deadline: no wait is started at all.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen).toHaveLength(1);
  });

  it('abandons a hung attempt after attemptTimeoutMs, retries, and reports a NetworkError when nothing ever answers', async () => {
    handler = () => undefined; // never answers
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k', retry: { ...fast, maxAttempts: 3, attemptTimeoutMs: 200 } });
    const started = Date.now();
    const error = await caught(coffer.events.open({ description: 'round' }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: null, attempts: 3 });
    expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(seen).toHaveLength(3);
    server.closeAllConnections();

    const refused = new Coffer({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', retry: { ...fast, maxAttempts: 2 } });
    expect(await caught(refused.balances.get('u1'))).toMatchObject({ name: 'NetworkError', attempts: 2 });
  });

  it("stops at once when the caller's signal aborts, waits included", async () => {
    handler = (_request, response) => json(response, 503, refusal('UNAVAILABLE'), { 'retry-after': '5' });
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('player left')), 100);
    const started = Date.now();
    await expect(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 1 }, { signal: controller.signal })).rejects.toThrow('player left');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses unsafe arguments before any request', async () => {
    handler = (_request, response) => json(response, 201, tx);
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k' });
    await expect(coffer.transactions.post({ user_id: 169015299834642432, type: 'debit', amount: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 1.5 })).rejects.toThrow(InvalidArgumentError);
    await expect(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(coffer.transfers.post({ from_user_id: 'a', to_user_id: 'b', amount: 2 ** 53 })).rejects.toThrow(/amount/);
    await expect(coffer.transactions.post({ user_id: 'u1', type: 'debit', amount: 1 }, { idempotencyKey: 'é' })).rejects.toThrow(RangeError);
    await expect(coffer.achievements.progress('k', { user_id: 'u', increment: 1, set: 2 } as never)).rejects.toThrow(/exactly one/);
    expect(seen).toHaveLength(0);
    expect(() => new Coffer({ baseUrl: 'localhost:3000', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => new Coffer({ baseUrl: base, apiKey: '' })).toThrow(/apiKey/);
    expect(() => new Coffer({ baseUrl: base, apiKey: 'k', retry: { maxAttempts: 100 } })).toThrow(/maxAttempts/);
  });

  it('escapes path segments and sends list queries, following cursors page after page', async () => {
    handler = (request, response) => {
      const url = new URL(request.url, base);
      const cursor = url.searchParams.get('cursor');
      const pages: Record<string, { data: number[]; next_cursor: string | null }> = {
        none: { data: [1, 2], next_cursor: 'c2' },
        c2: { data: [3, 4], next_cursor: 'c3' },
        c3: { data: [5], next_cursor: null },
      };
      json(response, 200, pages[cursor ?? 'none']);
    };
    const coffer = new Coffer({ baseUrl: base, apiKey: 'k' });
    const items: unknown[] = [];
    for await (const item of coffer.transactions.list({ user_id: 42n, limit: 2, from: new Date('2026-11-01T00:00:00Z') })) items.push(item);
    expect(items).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((s) => s.url)).toEqual([
      '/finance/transactions?user_id=42&from=2026-11-01T00%3A00%3A00.000Z&limit=2',
      '/finance/transactions?user_id=42&from=2026-11-01T00%3A00%3A00.000Z&limit=2&cursor=c2',
      '/finance/transactions?user_id=42&from=2026-11-01T00%3A00%3A00.000Z&limit=2&cursor=c3',
    ]);
    // A break stops the requests.
    seen = [];
    for await (const item of coffer.achievements.list({ limit: 2 })) if ((item as unknown) === 2) break;
    expect(seen).toHaveLength(1);
    seen = [];
    await coffer.balances.get('a:b.c');
    await coffer.achievements.get('key.with:colon');
    expect(seen.map((s) => s.url)).toEqual(['/finance/balance/a%3Ab.c', '/achievements/key.with%3Acolon']);
  });
});
