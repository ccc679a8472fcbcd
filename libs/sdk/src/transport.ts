/**
 * One logical API call: sent with fetch, retried on 429/502/503/504 and on network errors with
 * the SAME Idempotency-Key and correlation id, within bounded attempts and a total deadline;
 * answered with the parsed body or a typed CofferError.
 */
import { CofferError, errorFromAnswer, NETWORK_ERROR, NetworkError } from './errors.js';
import { isRetryableStatus, nextRetry, parseRetryAfter, type RetryOptions } from './retry.js';
import type { AbortSignalLike } from './abort.js';
import { randomId, sleep } from './runtime.js';

export type { AbortSignalLike };

/** What the SDK needs of fetch (the global one, or any compatible one passed in). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignalLike },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export const CORRELATION_HEADER = 'x-correlation-id';

/** Options of one call that a caller may give. */
export interface CallOptions {
  /** The Idempotency-Key of a POST (default: a fresh random one per call, kept across its retries). */
  idempotencyKey?: string;
  /** Aborts the call, waits between retries included. */
  signal?: AbortSignalLike;
  /** Overrides the client's retry options for this call. */
  retry?: Partial<RetryOptions>;
}

export type Query = Record<string, string | number | bigint | boolean | undefined | null>;

export interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  options?: CallOptions;
}

export interface Answer<T> {
  body: T;
  /** The body as it came: what a route answering text (a CSV statement) is read from. */
  text: string;
  status: number;
  headers: { get(name: string): string | null };
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  retry: RetryOptions;
  /** Math.random by default; tests pass their own. */
  random?: () => number;
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

export class Transport {
  private readonly base: string;

  constructor(private readonly options: TransportOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  async call<T>(request: Request): Promise<Answer<T>> {
    const options = request.options ?? {};
    const retry = { ...this.options.retry, ...options.retry };
    const idempotencyKey = request.method === 'POST' ? (options.idempotencyKey ?? (await randomId())) : null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new RangeError('idempotencyKey must be 1–255 printable ASCII characters');
    }
    const correlationId = await randomId();
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.options.apiKey}`,
      [CORRELATION_HEADER]: correlationId,
    };
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const url = this.url(request.path, request.query);
    const started = Date.now();

    for (let attempt = 1; ; attempt++) {
      const remaining = retry.deadlineMs - (Date.now() - started);
      let failure: CofferError;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.attempt(url, { method: request.method, headers, body }, Math.min(retry.attemptTimeoutMs, remaining), options.signal);
        const text = await response.text();
        const parsed = parseJson(text);
        if (response.status >= 200 && response.status < 300) {
          return { body: parsed as T, text, status: response.status, headers: response.headers };
        }
        failure = errorFromAnswer({
          status: response.status,
          body: parsed,
          correlationId: response.headers.get(CORRELATION_HEADER) ?? correlationId,
          idempotencyKey,
          attempts: attempt,
        });
        if (!isRetryableStatus(response.status)) throw failure;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      } catch (error) {
        if (error instanceof CofferError) throw error;
        // The caller gave up: that is not a network fault to ride out.
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        failure = new NetworkError({
          code: NETWORK_ERROR,
          status: null,
          message: `no answer from ${this.base}: ${(error as Error)?.message ?? String(error)}`,
          correlationId,
          idempotencyKey,
          attempts: attempt,
          cause: error,
        });
      }
      const decision = nextRetry(attempt, retry, Date.now() - started, retryAfterMs, this.options.random);
      if (!decision.retry) throw failure;
      await sleep(decision.delayMs, options.signal);
    }
  }

  /** One attempt, abandoned after `timeoutMs` (a hung connection is a network error like any other). */
  private async attempt(url: string, init: { method: string; headers: Record<string, string>; body?: string }, timeoutMs: number, signal?: AbortSignalLike) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), Math.max(1, timeoutMs));
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.options.fetch(url, { ...init, signal: controller.signal });
      // The body is read under the same timeout: a gateway that sends headers and then hangs is no answer.
      const text = await response.text();
      return { status: response.status, headers: response.headers, text: async () => text };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) params.append(name, String(value));
    }
    const search = params.toString();
    return `${this.base}${path}${search ? `?${search}` : ''}`;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A path segment from a caller's value (user id, key): always escaped. */
export function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}
