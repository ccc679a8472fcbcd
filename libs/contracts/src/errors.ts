/** Stable machine-readable error codes of the public API (API.md, "Errors"), with their HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** The path exists, the method does not: the Allow header lists the methods it has. */
  METHOD_NOT_ALLOWED: 405,
  EVENT_NOT_OPEN: 409,
  /** A resource exists with another definition, or its state forbids the change. */
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INSUFFICIENT_FUNDS: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  /** A bound of the system (a named limit) would be exceeded: the details name it and its value. */
  LIMIT_EXCEEDED: 422,
  RATE_LIMITED: 429,
  /** A fault of ours, never of the request: logged with its stack, answered without internals. */
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** A refusal a service sends back over NATS instead of throwing across the wire. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function refusal(code: ErrorCode, message: string, details?: Record<string, unknown>): Refusal {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}
