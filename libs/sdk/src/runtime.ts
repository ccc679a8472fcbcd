/**
 * What the SDK needs from its runtime, found where it is: fetch and Web Crypto are globals in
 * Node 19+, Deno and Bun; Node 18 has fetch but keeps Web Crypto in node:crypto, loaded only
 * there (never at import time, so nothing else ever sees a node: import run).
 */

import type { AbortSignalLike } from './abort.js';

/** The parts of Web Crypto the SDK uses. */
export interface WebCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
  randomUUID?: () => string;
  subtle: {
    importKey(format: 'raw', key: Uint8Array, algorithm: { name: 'HMAC'; hash: 'SHA-256' }, extractable: false, usages: ['sign']): Promise<unknown>;
    sign(algorithm: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  };
}

let cached: Promise<WebCrypto> | undefined;

export function webCrypto(): Promise<WebCrypto> {
  cached ??= (async () => {
    const global = (globalThis as { crypto?: WebCrypto }).crypto;
    if (global?.subtle && typeof global.getRandomValues === 'function') return global;
    // A computed specifier: bundlers for the browser leave it alone, and only Node 18 gets here.
    const specifier = 'node:crypto';
    const nodeCrypto = (await import(specifier)) as { webcrypto?: WebCrypto };
    if (!nodeCrypto.webcrypto) throw new Error('@coffer/sdk needs Web Crypto (globalThis.crypto or node:crypto webcrypto)');
    return nodeCrypto.webcrypto;
  })();
  return cached;
}

/** A random v4 UUID: the Idempotency-Key and correlation id of one logical call. */
export async function randomId(): Promise<string> {
  const crypto = await webCrypto();
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type Timer = ReturnType<typeof setTimeout>;

/**
 * A timer that does not keep the process alive (Node's and Bun's unref, Deno's unrefTimer): a
 * game that is done may exit even if a session was left open; its event then expires and
 * refunds, as the API promises for a crashed game.
 */
export function unrefTimer(timer: Timer): Timer {
  const withUnref = timer as { unref?: () => unknown };
  if (typeof withUnref.unref === 'function') {
    withUnref.unref();
  } else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    if (typeof timer === 'number' && deno?.unrefTimer) deno.unrefTimer(timer);
  }
  return timer;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
