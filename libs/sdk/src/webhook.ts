/**
 * Checks a webhook delivery (API.md, "Notifications: webhooks"): the header is
 * `Coffer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The signature
 * covers the raw bytes as they arrived (a body parsed and serialised again is not the body that
 * was signed), is compared in constant time, and is only taken within a tolerance of its
 * timestamp, so a delivery recorded by someone on the way cannot be replayed later.
 */
import { webCrypto } from './runtime.js';

export const SIGNATURE_HEADER = 'coffer-signature';

/** A delivery's body: one domain fact about the app. */
export interface WebhookDelivery<T = Record<string, unknown>> {
  id: string;
  type: string;
  occurred_at: string;
  data: T;
}

export type WebhookFailure = 'MALFORMED_HEADER' | 'STALE_TIMESTAMP' | 'SIGNATURE_MISMATCH' | 'MALFORMED_BODY';

/** A delivery that must not be trusted; `reason` says why (answer it with a 4xx, never act on it). */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyOptions {
  /** How far the signature's time may be from now, either way (default 300 s). */
  toleranceSeconds?: number;
  /** The current time in ms (default Date.now). */
  now?: () => number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Longest header accepted: a few signatures (a secret being rotated) fit many times over. */
const MAX_HEADER_LENGTH = 4096;
const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^[0-9a-fA-F]{64}$/;

const encoder = new TextEncoder();

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}

/** The header's timestamp and every v1 signature; throws MALFORMED_HEADER otherwise. */
export function parseSignatureHeader(header: string | null | undefined): { timestamp: number; signatures: string[] } {
  const malformed = (why: string) => new WebhookVerificationError('MALFORMED_HEADER', `Coffer-Signature header ${why}`);
  if (typeof header !== 'string' || header.length === 0) throw malformed('is missing');
  if (header.length > MAX_HEADER_LENGTH) throw malformed(`is longer than ${MAX_HEADER_LENGTH} characters`);
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw malformed(`has a part that is not name=value: ${JSON.stringify(part.slice(0, 40))}`);
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined) throw malformed('has two timestamps');
      if (!TIMESTAMP.test(value)) throw malformed('has a timestamp that is not unix seconds');
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!SIGNATURE.test(value)) throw malformed('has a v1 signature that is not 64 hex digits');
      signatures.push(value.toLowerCase());
    }
    // Other schemes (a future v2) are skipped: this version checks v1.
  }
  if (timestamp === undefined) throw malformed('has no t=<unix seconds>');
  if (signatures.length === 0) throw malformed('has no v1 signature');
  return { timestamp, signatures };
}

/** The hex v1 signature of a body at a timestamp: what Coffer sends (and what a test signs with). */
export async function signWebhook(rawBody: string | Uint8Array, secret: string, timestamp: number): Promise<string> {
  const crypto = await webCrypto();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const prefix = encoder.encode(`${timestamp}.`);
  const body = bytesOf(rawBody);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix, 0);
  signed.set(body, prefix.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A full Coffer-Signature header value for a body (for tests of a game's webhook endpoint). */
export async function webhookSignatureHeader(rawBody: string | Uint8Array, secret: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await signWebhook(rawBody, secret, timestamp)}`;
}

/** Equal strings of equal length, in time that does not depend on where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * The delivery, once its signature is Coffer's and recent; else a WebhookVerificationError.
 * `rawBody` is the request body exactly as received (a string or its bytes).
 */
export async function verifyWebhook<T = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookDelivery<T>> {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('verifyWebhook needs the webhook secret');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError('toleranceSeconds must be a non-negative number');
  const { timestamp, signatures } = parseSignatureHeader(header);
  const expected = await signWebhook(rawBody, secret, timestamp);
  // Every candidate is compared (no early exit): the time taken says nothing about which matched.
  let matched = false;
  for (const signature of signatures) matched = constantTimeEqual(signature, expected) || matched;
  if (!matched) throw new WebhookVerificationError('SIGNATURE_MISMATCH', 'the Coffer-Signature does not match the body and secret');
  // Checked after the signature, so a stale message is one Coffer really signed (the timestamp is signed too).
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'STALE_TIMESTAMP',
      `the signature's time (${timestamp}) is more than ${tolerance} s from now: a replay, or a clock to fix`,
    );
  }
  let delivery: unknown;
  try {
    delivery = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody));
  } catch {
    throw new WebhookVerificationError('MALFORMED_BODY', 'the signed body is not JSON');
  }
  if (delivery === null || typeof delivery !== 'object' || typeof (delivery as WebhookDelivery).type !== 'string') {
    throw new WebhookVerificationError('MALFORMED_BODY', 'the signed body is not a delivery {id, type, occurred_at, data}');
  }
  return delivery as WebhookDelivery<T>;
}
