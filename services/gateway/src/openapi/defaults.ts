/**
 * The error answers a route gives because of what it is, not what it does: added to every
 * operation of the document, merged into the statuses its own @ApiErrors already lists (one
 * example per code either way), so a new route is documented with them without asking.
 */
import { ERROR_STATUS, type ErrorCode } from '@coffer/contracts';
import type { OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { errorExamples } from './error-examples';

/** Whom a route lets in: an app's key, the admin token, or anyone. */
export type RouteKind = 'app' | 'admin' | 'public';

const WITH_BODY = new Set(['post', 'put', 'patch']);
const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponse' };

export function defaultErrorCodes(operation: OperationObject, kind: RouteKind, verb: string): ErrorCode[] {
  const codes: ErrorCode[] = [];
  // Any body a write is sent is read as JSON first, whatever the route makes of it.
  if (WITH_BODY.has(verb)) codes.push('MALFORMED_JSON', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  else if ((operation.parameters ?? []).length > 0) codes.push('VALIDATION_FAILED');
  // Requests without credentials, and failed authentications, are limited by address.
  codes.push('RATE_LIMITED');
  if (kind !== 'public') codes.push('UNAUTHENTICATED', 'UNAVAILABLE');
  return codes;
}

export function addDefaultErrors(operation: OperationObject, kind: RouteKind, verb: string): void {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of defaultErrorCodes(operation, kind, verb)) {
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  }
  for (const [status, codes] of byStatus) {
    const existing = operation.responses[String(status)] as ResponseObject | undefined;
    if (existing === undefined) {
      operation.responses[String(status)] = errorResponse(codes);
      continue;
    }
    const json = existing.content?.['application/json'];
    // A route's own non-error answer under this status (/ready's 503 says which check failed): left as it is.
    if (json?.schema === undefined || !('$ref' in json.schema) || json.schema.$ref !== ERROR_SCHEMA.$ref) continue;
    const known = Object.keys(json.examples ?? {});
    const added = codes.filter((code) => !known.includes(code));
    json.examples = { ...json.examples, ...errorExamples(added) };
    existing.description = [...known, ...added].join(' / ');
  }
  // Statuses in numeric order, as a reader scans them.
  operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
}

export function errorResponse(codes: ErrorCode[]): ResponseObject {
  return {
    description: codes.join(' / '),
    content: { 'application/json': { schema: ERROR_SCHEMA, examples: errorExamples(codes) } },
  };
}
