/**
 * One delivery attempt over HTTP(S), safe against SSRF: the target's name is resolved here, every
 * address it resolves to is checked (target.ts), and the socket connects to the address that was
 * checked (the lookup handed to the request is this one: no second resolution between check and
 * connect). No redirect is followed (node's http never does: a 3xx is a failed attempt), the
 * attempt has a deadline, and at most a few KiB of the answer are read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, hostOf, urlRefusal, type TargetRules } from '../domain/target';

/** Longest wait for a receiver's answer (API.md: a timeout is a failed attempt). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Most bytes of a receiver's answer read: its status is what counts. */
export const MAX_RESPONSE_BYTES = 4096;

export interface Attempt {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** A refusal of the target itself (its scheme or address): no connection was made. */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

/**
 * A `lookup` for node's sockets that resolves the name and refuses it unless every address is
 * allowed: a name that resolves to a public and a private address could be steered to either.
 */
export function checkedLookup(protocol: string, rules: TargetRules, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { all: true, family: options.family, hints: options.hints }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (!addresses.length) return callback(new TargetRefused(`${hostname} resolves to no address`), '', 0);
      for (const { address } of addresses) {
        const refusal = addressRefusal(protocol, address, rules);
        if (refusal) return callback(new TargetRefused(refusal), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Resolves a URL's name now and says why it may not be a webhook, or null (registration's check; a delivery checks again). */
export async function targetRefusal(raw: string, rules: TargetRules, timeoutMs = 2_000): Promise<string | null> {
  const url = new URL(raw);
  const refused = urlRefusal(url, rules);
  if (refused || isIP(hostOf(url))) return refused;
  const lookup = checkedLookup(url.protocol, rules);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs); // DNS slow now: the delivery checks again
    lookup(hostOf(url), { all: true }, (error) => {
      clearTimeout(timer);
      if (error instanceof TargetRefused) return resolve(error.message);
      // A name that does not exist is not a target; a resolver that is away now is no reason to refuse.
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOTFOUND') return resolve(`${url.hostname} does not resolve`);
      resolve(null);
    });
  });
}

/** POSTs one delivery and answers how it went; never throws. */
export function attemptDelivery(
  attempt: Attempt,
  rules: TargetRules,
  timeoutMs = DELIVERY_TIMEOUT_MS,
  resolve: typeof dnsLookup = dnsLookup,
): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(attempt.url);
  } catch {
    return Promise.resolve({ ok: false, status: null, error: 'the URL does not parse' });
  }
  const refused = urlRefusal(url, rules);
  if (refused) return Promise.resolve({ ok: false, status: null, error: refused });
  const options: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(attempt.body), 'user-agent': 'Coffer-Webhooks/1', ...attempt.headers },
    lookup: checkedLookup(url.protocol, rules, resolve),
    agent: false, // a fresh connection each time: a pooled socket would skip the lookup, and with it the check
    timeout: timeoutMs,
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, options, (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy(); // its status is all we need
      });
      const done = () => finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    // The whole attempt, connecting and the answer included, has one deadline.
    const deadline = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => finish({ ok: false, status: null, error: error instanceof TargetRefused ? error.message : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`.slice(0, 300) }));
    request.end(attempt.body);
  });
}
