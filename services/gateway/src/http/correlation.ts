import type { FastifyRequest } from 'fastify';
import { isCorrelationId } from '@coffer/contracts';

export const CORRELATION_HEADER = 'x-correlation-id';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's correlation id (correlationIdOf), set first thing by the gateway's onRequest hook. */
    correlationId: string;
  }
}

/** The caller's correlation id when it is a sane token (values/correlation-id.ts), else the request's own id. */
export function correlationIdOf(request: FastifyRequest): string {
  const given = request.headers[CORRELATION_HEADER];
  return typeof given === 'string' && isCorrelationId(given) ? given : String(request.id);
}
