import type { FastifyRequest } from 'fastify';
import { isCorrelationId } from '@coffer/contracts';

export const CORRELATION_HEADER = 'x-correlation-id';

/** The caller's correlation id when it is a sane token (values/correlation-id.ts), else the request's own id. */
export function correlationIdOf(request: FastifyRequest): string {
  const given = request.headers[CORRELATION_HEADER];
  return typeof given === 'string' && isCorrelationId(given) ? given : String(request.id);
}
