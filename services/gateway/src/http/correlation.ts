import type { FastifyRequest } from 'fastify';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_CORRELATION = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The caller's correlation id when it is a sane token, else the request's own id. */
export function correlationIdOf(request: FastifyRequest): string {
  const given = request.headers[CORRELATION_HEADER];
  return typeof given === 'string' && VALID_CORRELATION.test(given) ? given : String(request.id);
}
