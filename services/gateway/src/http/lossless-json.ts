import { parse } from 'lossless-json';
import type { FastifyInstance } from 'fastify';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '@coffer/contracts';
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

/**
 * Checked on the text before parsing: lossless-json's parser recurses once per level, so a body
 * of 64 KiB of brackets would overflow the stack (a RangeError, a 500) before any rule saw it;
 * and nothing of ours nests deeper than a few levels. The scan is one pass, no allocation.
 */
function refuseDeepNesting(text: string): void {
  if (jsonTextTooDeep(text)) {
    throw new ApiError('VALIDATION_FAILED', `request body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
      max_depth: MAX_JSON_DEPTH,
    });
  }
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  refuseDeepNesting(text);
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
