import { parse } from 'lossless-json';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Integers beyond 2^53 (Discord snowflakes, large amounts) lose digits in JSON.parse. Here an
 * integer literal that a double cannot hold exactly stays a digit string, so validators see it
 * exactly; other numbers parse as usual. Duplicate keys are refused as malformed.
 */
export function parseNumber(text: string): number | string {
  if (/^-?\d+$/.test(text)) {
    const value = Number(text);
    // Only a non-negative one stays a digit string: no field takes a negative integer, and as
    // a string "-1690…" would pass for an opaque user id. As an (inexact) number it is refused.
    return Number.isSafeInteger(value) || text.startsWith('-') ? value : text;
  }
  return Number(text);
}

/** `__proto__` is no field of ours, and an object that carries it is a prototype-pollution probe. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ApiError('VALIDATION_FAILED', 'property __proto__ is not allowed', { fields: { __proto__: ['is not allowed'] } });
  return value;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parse(text, refuseProtoKeys, parseNumber);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('MALFORMED_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function registerLosslessJson(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser(['application/json', 'text/plain']); // JSON only: any other body is 415
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(;.*)?$/i,
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
