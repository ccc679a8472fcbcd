/**
 * The API's refusals as classes, one per stable code (API.md, "Errors"), so a game writes
 * `catch (e) { if (e instanceof InsufficientFundsError) … }` instead of comparing strings. Each
 * carries the code, the HTTP status, the details and the request's correlation id (the
 * X-Correlation-Id the gateway answers with: what its logs and the audit trail are searched by).
 */

/** Every code the API answers with (libs/contracts ERROR_STATUS; a test holds them equal). */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EVENT_NOT_OPEN: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INSUFFICIENT_FUNDS: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  LIMIT_EXCEEDED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** No HTTP answer at all (refused, reset, timed out): the outcome of a write is unknown. */
export const NETWORK_ERROR = 'NETWORK_ERROR';

export interface CofferErrorInit {
  code: string;
  message: string;
  /** Null when no response came (a network error). */
  status: number | null;
  details?: Record<string, unknown>;
  correlationId?: string | null;
  /** The Idempotency-Key the request carried: retry with it to learn the outcome without doubling anything. */
  idempotencyKey?: string | null;
  /** How many times the request was sent. */
  attempts?: number;
  cause?: unknown;
}

export class CofferError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly details: Record<string, unknown>;
  readonly correlationId: string | null;
  readonly idempotencyKey: string | null;
  readonly attempts: number;

  constructor(init: CofferErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CofferError';
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
    this.correlationId = init.correlationId ?? null;
    this.idempotencyKey = init.idempotencyKey ?? null;
    this.attempts = init.attempts ?? 1;
  }
}

// One class per code. The names are set by hand: a minifier renames classes.
export class ValidationError extends CofferError {
  override name = 'ValidationError';
}
export class UnauthenticatedError extends CofferError {
  override name = 'UnauthenticatedError';
}
export class ForbiddenError extends CofferError {
  override name = 'ForbiddenError';
}
export class NotFoundError extends CofferError {
  override name = 'NotFoundError';
}
export class EventNotOpenError extends CofferError {
  override name = 'EventNotOpenError';
}
export class ConflictError extends CofferError {
  override name = 'ConflictError';
}
/** A method the path does not have (a bug in the caller, never worth a retry). */
export class MethodNotAllowedError extends CofferError {
  override name = 'MethodNotAllowedError';
}
export class PayloadTooLargeError extends CofferError {
  override name = 'PayloadTooLargeError';
}
export class InsufficientFundsError extends CofferError {
  override name = 'InsufficientFundsError';
}
export class IdempotencyKeyReusedError extends CofferError {
  override name = 'IdempotencyKeyReusedError';
}
export class LimitExceededError extends CofferError {
  override name = 'LimitExceededError';
}
export class RateLimitedError extends CofferError {
  override name = 'RateLimitedError';
}
export class InternalError extends CofferError {
  override name = 'InternalError';
}
export class UnavailableError extends CofferError {
  override name = 'UnavailableError';
}
/** No response at all after every attempt: for a write, retry with `error.idempotencyKey`. */
export class NetworkError extends CofferError {
  override name = 'NetworkError';
}

type ErrorClass = new (init: CofferErrorInit) => CofferError;

export const ERROR_CLASSES: Record<ErrorCode, ErrorClass> = {
  VALIDATION_FAILED: ValidationError,
  MALFORMED_JSON: ValidationError,
  UNSUPPORTED_MEDIA_TYPE: ValidationError,
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  METHOD_NOT_ALLOWED: MethodNotAllowedError,
  EVENT_NOT_OPEN: EventNotOpenError,
  CONFLICT: ConflictError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  INSUFFICIENT_FUNDS: InsufficientFundsError,
  IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError,
  LIMIT_EXCEEDED: LimitExceededError,
  RATE_LIMITED: RateLimitedError,
  INTERNAL: InternalError,
  UNAVAILABLE: UnavailableError,
};

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The code an answer without a readable error body stands for (a proxy's 502, a bare 404). */
function codeOfStatus(status: number): ErrorCode | null {
  if (status === 502 || status === 504) return 'UNAVAILABLE';
  for (const [code, codeStatus] of Object.entries(ERROR_CODES)) if (codeStatus === status) return code as ErrorCode;
  return null;
}

export interface ErrorAnswer {
  status: number;
  /** The parsed JSON body, if any. */
  body: unknown;
  correlationId: string | null;
  idempotencyKey: string | null;
  attempts: number;
}

/** The typed error for an HTTP answer that is not a success. */
export function errorFromAnswer(answer: ErrorAnswer): CofferError {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const bodyCode = error?.code;
  const code = isErrorCode(bodyCode) ? bodyCode : codeOfStatus(answer.status);
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${answer.status}`;
  const details = error?.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : undefined;
  const init: CofferErrorInit = {
    // A code this SDK does not know yet (a newer server) is kept as it came.
    code: typeof bodyCode === 'string' ? bodyCode : (code ?? `HTTP_${answer.status}`),
    message,
    status: answer.status,
    details,
    correlationId: answer.correlationId,
    idempotencyKey: answer.idempotencyKey,
    attempts: answer.attempts,
  };
  const ErrorClass = code ? ERROR_CLASSES[code] : CofferError;
  return new ErrorClass(init);
}
