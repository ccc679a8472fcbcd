/**
 * Discord signs every interaction with the application's Ed25519 key: `X-Signature-Ed25519` is
 * the hex signature of `X-Signature-Timestamp` + the raw body. Checked with Node's own crypto,
 * before the body is even parsed. A timestamp far from now is refused too, so a captured request
 * cannot be replayed later (Discord's own deliveries are seconds old).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** How far a request's timestamp may be from our clock, either way. */
export const MAX_SIGNATURE_AGE_SECONDS = 300;

/** SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): the 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(hex: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export function verifyInteraction(
  key: KeyObject,
  signature: string | string[] | undefined,
  timestamp: string | string[] | undefined,
  rawBody: string,
  nowSeconds: number,
): SignatureVerdict {
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return { ok: false, reason: 'X-Signature-Ed25519 and X-Signature-Timestamp are required' };
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return { ok: false, reason: 'X-Signature-Ed25519 is not an Ed25519 signature (128 hex digits)' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Signature-Timestamp is not a unix time in seconds' };
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS) return { ok: false, reason: 'X-Signature-Timestamp is too far from now' };
  const signed = Buffer.from(timestamp + rawBody, 'utf8');
  return verify(null, signed, key, Buffer.from(signature, 'hex')) ? { ok: true } : { ok: false, reason: 'invalid request signature' };
}
