/**
 * Path parameters, checked by hand: the global ValidationPipe would turn `:id` into a number
 * with `+value` (so "1e3" or "0x10" would pass). A malformed one is 400; a well-formed one
 * that names nothing is the ledger's 404. The rules, messages and schemas are the contracts'
 * values; each parameter's @ApiParam documents its value's schema.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  CURRENCY_SCHEMA,
  currencyMessage,
  isCurrency,
  ID_SCHEMA,
  idMessage,
  isId,
  parsePositiveIdText,
  parseUserId,
  POSITIVE_ID_SCHEMA,
  positiveIdMessage,
  USER_ID_PATH_SCHEMA,
  userIdPathMessage,
} from '@coffer/contracts';
import { USER_ID_EXAMPLE } from '@coffer/contracts/http';
import { ApiError } from './api-error';

function paramOf(context: ExecutionContext, name: string): string {
  const params = context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string | undefined>;
  return params[name] ?? '';
}

function invalid(name: string, message: string): ApiError {
  return new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { [name]: [message] } });
}

export function parsePositiveId(name: string, raw: string): number {
  const value = parsePositiveIdText(raw);
  if (value === null) throw invalid(name, positiveIdMessage(name));
  return value;
}

/** `:id` of events and transactions: a positive safe integer, as a number. */
export const PositiveIdParam = createParamDecorator((name: string, context: ExecutionContext): number =>
  parsePositiveId(name, paramOf(context, name)),
);

/** `:user_id`: the user id string rules (a snowflake in a path is just its digits). */
export const UserIdParam = createParamDecorator((name: string, context: ExecutionContext): string => {
  const userId = parseUserId(paramOf(context, name));
  if (userId === null) throw invalid(name, userIdPathMessage(name));
  return userId;
});

/** `:app_id`, `:key_id`: ids the ledger gave out; only their shape is checked here. */
export const OpaqueIdParam = createParamDecorator((name: string, context: ExecutionContext): string => {
  const value = paramOf(context, name);
  if (!isId(value)) throw invalid(name, idMessage(name));
  return value;
});

/** `:currency`: a currency code. */
export const CurrencyParam = createParamDecorator((name: string, context: ExecutionContext): string => {
  const value = paramOf(context, name);
  if (!isCurrency(value)) throw invalid(name, currencyMessage(name));
  return value;
});

/** The @ApiParam of each kind of path parameter: its value's schema. */
export const positiveIdParamDoc = (name: string) => ({ name, schema: POSITIVE_ID_SCHEMA });
export const userIdParamDoc = (name: string) => ({
  name,
  // The example inside the schema: Nest drops a parameter's own example when it has a schema.
  schema: { ...USER_ID_PATH_SCHEMA, example: USER_ID_EXAMPLE },
  description: 'the user: its id as it is, digits and all (a snowflake is just its digits here)',
});
export const opaqueIdParamDoc = (name: string) => ({ name, schema: ID_SCHEMA });
export const currencyParamDoc = (name: string) => ({ name, schema: CURRENCY_SCHEMA });
