/**
 * The routes the gateway serves outside Nest's controllers (Swagger UI and the two contracts),
 * documented by hand: public, like /health, /ready and /metrics.
 */
import type { PathItemObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { errorResponse } from './defaults';

const tooManyWithoutCredentials = { '429': errorResponse(['RATE_LIMITED']) };

export const PUBLIC_DOCUMENT_PATHS: Record<string, PathItemObject> = {
  '/docs': {
    get: {
      operationId: 'getDocs',
      summary: 'This documentation (Swagger UI)',
      tags: ['operations'],
      security: [],
      responses: { '200': { description: 'the HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...tooManyWithoutCredentials },
    },
  },
  '/docs/openapi.json': {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI document',
      tags: ['operations'],
      security: [],
      responses: { '200': { description: 'the OpenAPI 3 document', content: { 'application/json': { schema: { type: 'object' } } } }, ...tooManyWithoutCredentials },
    },
  },
  '/docs/asyncapi.json': {
    get: {
      operationId: 'getAsyncApiDocument',
      summary: "The analytics feed's AsyncAPI 3 document",
      description: 'The JetStream subjects and the JSON Schema of each domain event type and version.',
      tags: ['operations'],
      security: [],
      responses: { '200': { description: 'the AsyncAPI 3 document', content: { 'application/json': { schema: { type: 'object' } } } }, ...tooManyWithoutCredentials },
    },
  },
};
