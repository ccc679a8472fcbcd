import { createHash, randomBytes } from 'node:crypto';

/** `ck_` + 32 random bytes, base64url (43 characters): what apps send as their bearer token. */
const API_KEY_FORMAT = /^ck_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return `ck_${randomBytes(32).toString('base64url')}`;
}

export function generateKeyId(): string {
  return `key_${randomBytes(12).toString('hex')}`;
}

/** Keys are kept only as this hash, so a leaked table or event log reveals no usable key. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_FORMAT.test(key);
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1] : null;
}
