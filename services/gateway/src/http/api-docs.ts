/** OpenAPI decorators shared by the routes, so /docs says the same thing everywhere. */
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '@coffer/contracts';
import { ErrorResponse } from '@coffer/contracts/http';
import { errorExamples } from '../openapi/error-examples';

/** The Idempotency-Key request header and the headers a command's response carries. */
export function ApiIdempotent(): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '1-255 printable ASCII characters, scoped to the app. The same key with the same body returns the first ' +
      'response again (header Idempotent-Replayed: true) and changes nothing; with another body: 422 ' +
      'IDEMPOTENCY_KEY_REUSED. After a 503, retry with the same key.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  });
}

export const COMMAND_RESPONSE_HEADERS = {
  'Idempotent-Replayed': { description: '"true" when this is the stored answer of an earlier request with the same key', schema: { type: 'string' } },
  'X-Coffer-Position': {
    description: "the store position of the command's last event: pass it as min_position to a read to see this write (read-your-writes)",
    schema: { type: 'string' },
  },
};

/**
 * Documents the error answers a route can give, each status with the `{error: {code, message,
 * details}}` body and one example per code. What every route shares (401 on authenticated
 * routes, 400/413/415 on bodies, 405, 503) is added to every operation by openapi/defaults.ts:
 * list here only what is the route's own.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({ status, type: ErrorResponse, description: list.join(' / '), examples: errorExamples(list) }),
    ),
  );
}
