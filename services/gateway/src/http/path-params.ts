/**
 * Path parameters, checked by hand: the global ValidationPipe would turn `:id` into a number
 * with `+value` (so "1e3" or "0x10" would pass). A malformed one is 400; a well-formed one
 * that names nothing is the ledger's 404.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { parseUserId } from '@coffer/contracts';
import { ApiError } from './api-error';

const POSITIVE_ID = /^[1-9][0-9]{0,15}$/;
const OPAQUE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function paramOf(context: ExecutionContext, name: string): string {
  const params = context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string | undefined>;
  return params[name] ?? '';
}

function invalid(name: string, rule: string): ApiError {
  return new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { [name]: [`${name} must be ${rule}`] } });
}

export function parsePositiveId(name: string, raw: string): number {
  const value = Number(raw);
  if (!POSITIVE_ID.test(raw) || !Number.isSafeInteger(value)) throw invalid(name, 'a positive integer below 2^53');
  return value;
}

/** `:id` of events and transactions: a positive safe integer, as a number. */
export const PositiveIdParam = createParamDecorator((name: string, context: ExecutionContext): number =>
  parsePositiveId(name, paramOf(context, name)),
);

/** `:user_id`: the user id string rules (a snowflake in a path is just its digits). */
export const UserIdParam = createParamDecorator((name: string, context: ExecutionContext): string => {
  const userId = parseUserId(paramOf(context, name));
  if (userId === null) throw invalid(name, '1-64 characters of [A-Za-z0-9_.:-]');
  return userId;
});

/** `:app_id`, `:key_id`: ids the ledger gave out; only their shape is checked here. */
export const OpaqueIdParam = createParamDecorator((name: string, context: ExecutionContext): string => {
  const value = paramOf(context, name);
  if (!OPAQUE_ID.test(value)) throw invalid(name, '1-64 characters of [A-Za-z0-9_.:-]');
  return value;
});
