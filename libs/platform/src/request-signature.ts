/**
 * Requests on the services' NATS subjects are signed, because anyone who can reach NATS can
 * publish on them (README, "Trust model"). One header:
 *
 *   Coffer-Signature: v1 sender=<gateway|achievements|ledger>,key=<key_id>,mac=<base64url>
 *
 * mac = HMAC-SHA256(secret of key_id, "coffer-request-v1\n<sender>\n<subject>\n" + payload bytes).
 * The subject is inside the MAC, so a signature is void on any other subject; the sender is
 * inside it, so one identity cannot be passed off as another without the key; the payload's
 * meta.deadline_epoch_ms is inside it, so a captured request replayed after its deadline is
 * refused (see admitRequest). The reply subject is not signed: Nest's client makes its inbox
 * after serialising, and a replayed request whose answer goes elsewhere tells an eavesdropper
 * nothing the original answer did not.
 *
 * HMAC rather than a public-key signature: a few microseconds per request on the hot path, where
 * Ed25519 would cost tens. Every signer can verify, so every holder of the key is trusted alike;
 * NATS permissions (nats-config) are what keep one component from using another's subjects.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { SERVICE_SENDERS, type ServiceSender, type Signer } from '@coffer/contracts';
import type { ServiceKey } from './service-keys';

export const SIGNATURE_HEADER = 'Coffer-Signature';
const SCHEME = 'v1 ';
const MAC_BYTES = 32;

/** The request-sending side of a service: who it is and the keys it signs with. */
export interface RequestSigner {
  sender: ServiceSender;
  keys: ServiceKeyring;
}

export type VerifiedSignature = { ok: true; sender: ServiceSender } | { ok: false; reason: RefusalReason };

/** Why the door refused a request: the label of the refusal metric. */
export type RefusalReason =
  | 'unsigned'
  | 'malformed_signature'
  | 'unknown_sender'
  | 'unknown_key'
  | 'bad_signature'
  | 'malformed_request'
  | 'past_deadline'
  | 'deadline_too_far';

export class ServiceKeyring {
  private readonly signingId: string;
  private readonly signingKey: KeyObject;
  private readonly byId = new Map<string, KeyObject>();

  /** The first key signs; every key is accepted. */
  constructor(keys: readonly ServiceKey[]) {
    if (keys.length === 0) throw new Error('a service keyring needs at least one key');
    for (const key of keys) this.byId.set(key.id, createSecretKey(Buffer.from(key.secret, 'utf8')));
    this.signingId = keys[0].id;
    this.signingKey = this.byId.get(this.signingId)!;
  }

  /** The Coffer-Signature header value of a request (or, signed by the ledger, of a writer announcement). */
  sign(sender: Signer, subject: string, payload: Uint8Array): string {
    return `${SCHEME}sender=${sender},key=${this.signingId},mac=${mac(this.signingKey, sender, subject, payload).toString('base64url')}`;
  }

  /** NATS headers carrying the signature of a request. */
  signedHeaders(sender: Signer, subject: string, payload: Uint8Array): MsgHdrs {
    const headers = natsHeaders();
    headers.set(SIGNATURE_HEADER, this.sign(sender, subject, payload));
    return headers;
  }

  /** A request's signature: valid, and by one of the senders of requests (SERVICE_SENDERS). */
  verify(subject: string, payload: Uint8Array, signature: string | undefined): VerifiedSignature {
    return this.check(subject, payload, signature, SERVICE_SENDERS) as VerifiedSignature;
  }

  /** Whether `signature` is `signer`'s, valid for these bytes on this subject (a writer announcement). */
  signedBy(signer: Signer, subject: string, payload: Uint8Array, signature: string | undefined): boolean {
    return this.check(subject, payload, signature, [signer]).ok;
  }

  private check(
    subject: string,
    payload: Uint8Array,
    signature: string | undefined,
    allowed: readonly Signer[],
  ): { ok: true; sender: Signer } | { ok: false; reason: RefusalReason } {
    if (!signature) return { ok: false, reason: 'unsigned' };
    const parts = signature.startsWith(SCHEME) ? signature.slice(SCHEME.length).split(',') : [];
    if (parts.length !== 3 || !parts[0].startsWith('sender=') || !parts[1].startsWith('key=') || !parts[2].startsWith('mac=')) {
      return { ok: false, reason: 'malformed_signature' };
    }
    const sender = parts[0].slice('sender='.length) as Signer;
    if (!allowed.includes(sender)) return { ok: false, reason: 'unknown_sender' };
    const key = this.byId.get(parts[1].slice('key='.length));
    if (!key) return { ok: false, reason: 'unknown_key' };
    const presented = Buffer.from(parts[2].slice('mac='.length), 'base64url');
    if (presented.length !== MAC_BYTES) return { ok: false, reason: 'malformed_signature' };
    return timingSafeEqual(presented, mac(key, sender, subject, payload)) ? { ok: true, sender } : { ok: false, reason: 'bad_signature' };
  }
}

function mac(key: KeyObject, sender: string, subject: string, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`coffer-request-v1\n${sender}\n${subject}\n`).update(payload).digest();
}
