import { ERROR_STATUS, type ErrorCode } from '@coffer/contracts';

/** A refusal with a stable code (API.md, "Errors"); the error filter turns it into the JSON body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Response headers the refusal needs to be understood (WWW-Authenticate, Allow). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

/** The realm every 401 names in its challenge (RFC 6750 §3). */
export const AUTH_REALM = 'coffer';

/**
 * 401 with its `WWW-Authenticate: Bearer` challenge (RFC 6750 §3): `error="invalid_token"` only
 * when a bearer token was sent, so a client can tell "send credentials" from "these are wrong".
 */
export function unauthenticated(message: string, tokenSent: boolean): ApiError {
  const challenge = tokenSent ? `Bearer realm="${AUTH_REALM}", error="invalid_token"` : `Bearer realm="${AUTH_REALM}"`;
  return new ApiError('UNAUTHENTICATED', message, undefined, { 'www-authenticate': challenge });
}
