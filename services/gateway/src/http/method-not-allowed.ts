import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error';

/** Every method a route of ours can have (HEAD comes with each GET). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * For a request no route matched: 405 METHOD_NOT_ALLOWED with its `Allow` header when the path
 * exists under other methods (RFC 9110 §15.5.6), so `DELETE /finance/transaction` says what the
 * path takes instead of pretending it is not there; null when the path itself is unknown (a 404).
 */
export function methodNotAllowed(request: FastifyRequest): ApiError | null {
  if (request.routeOptions?.url !== undefined) return null; // a route matched: its own 404s are real
  const path = request.url.split('?', 1)[0];
  const allowed = METHODS.filter((method) => method !== request.method && request.server.findRoute({ method, url: path }) !== null);
  if (allowed.length === 0) return null;
  return new ApiError(
    'METHOD_NOT_ALLOWED',
    `${request.method} is not allowed on ${path}: it takes ${allowed.join(', ')}`,
    { allow: allowed },
    { allow: allowed.join(', ') },
  );
}
