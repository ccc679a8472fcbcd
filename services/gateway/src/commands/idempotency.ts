/**
 * Idempotency (API.md, Conventions): a POST's Idempotency-Key names the command, scoped to the
 * app, and the request hash lets the ledger tell a true retry (same body) from a reused key.
 */
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../auth/api-keys';
import { ApiError } from '../http/api-error';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** The header's key, undefined when absent; 400 when it is not 1-255 printable ASCII characters. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw new ApiError('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 printable ASCII characters', {
      header: 'Idempotency-Key',
    });
  }
  return header;
}

/**
 * The ledger dedupes by command id: `<app>:<sha256 of the key>` makes one key mean one command
 * per app (admin commands are scoped to `admin`); without a key every request is new.
 */
export function commandIdFor(appId: string | null, idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined ? randomUUID() : `${appId ?? 'admin'}:${sha256Hex(idempotencyKey)}`;
}

/** JSON with object keys sorted at every depth, so equal bodies give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What a retry must repeat exactly: method, path (with its actual ids) and the validated body. */
export function requestHash(method: string, path: string, body: unknown): string {
  return sha256Hex(`${method.toUpperCase()} ${path} ${canonicalJson(body)}`);
}
