import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody, ErrorCode } from '@coffer/contracts';
import type { JsonLogger } from '@coffer/platform';
import { ApiError } from './api-error';
import { dependencyOutage, RETRY_AFTER_SECONDS } from './dependency-outage';
import { methodNotAllowed } from './method-not-allowed';

/** Fastify's own 415 says only "Unsupported Media Type": ours says what to send instead. */
const UNSUPPORTED_MEDIA_TYPE_MESSAGE = 'the request body must be JSON: send Content-Type: application/json';

/**
 * Codes for errors that reach the filter as a bare status. Nest turns each of Fastify's own
 * errors (raised while reading the body, before any route runs) into HttpException(message,
 * status) and drops Fastify's code, so the status is all there is: a 400 there is a body that
 * could not be read (Content-Length mismatch, empty JSON body). Our validation never throws a
 * bare 400: it throws ApiError('VALIDATION_FAILED').
 */
const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'MALFORMED_JSON',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Turns any error into `{error: {code, message, details}}`; only our own faults become 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: number } | null)?.statusCode;
  const code = status === undefined ? undefined : HTTP_STATUS_CODES[status];
  if (code === 'UNSUPPORTED_MEDIA_TYPE') return new ApiError(code, UNSUPPORTED_MEDIA_TYPE_MESSAGE);
  if (code) return new ApiError(code, (error as Error).message);
  return dependencyOutage(error) ?? new InternalError(error);
}

/** A fault of ours: logged with its stack, answered without internals. */
class InternalError extends ApiError {
  constructor(override readonly cause: unknown) {
    super('INTERNAL', 'internal error');
  }
}

export function sendError(reply: FastifyReply, error: unknown, logger: JsonLogger, request?: FastifyRequest): void {
  const apiError = toApiError(error);
  if (apiError instanceof InternalError) {
    logger.event('error', 'request failed', {
      correlation_id: request?.correlationId,
      method: request?.method,
      url: request?.url,
      error: (apiError.cause as Error)?.message,
      stack: (apiError.cause as Error)?.stack,
    });
  }
  const body: ErrorBody = { error: { code: apiError.code, message: apiError.message } };
  if (apiError.details) body.error.details = apiError.details;
  for (const [name, value] of Object.entries(apiError.headers)) void reply.header(name, value);
  // A refusal that says when to come back (a rate limit, a full queue) says it in the header too,
  // and every 503 says it: its own wait when it knows one, else the usual one.
  const retryAfterSeconds = apiError.details?.retry_after_seconds ?? (apiError.status === 503 ? RETRY_AFTER_SECONDS : undefined);
  if (retryAfterSeconds !== undefined && (apiError.code === 'RATE_LIMITED' || apiError.status === 503)) {
    void reply.header('retry-after', String(retryAfterSeconds));
  }
  void reply.status(apiError.status).send(body);
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const refusal = toApiError(error);
    const answer = refusal.code === 'NOT_FOUND' ? (methodNotAllowed(request) ?? error) : error;
    sendError(http.getResponse<FastifyReply>(), answer, this.logger, request);
  }
}
