import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../backend/nats-request-client';

/** An app, identified by the API key it called with. */
export interface AppCaller {
  app_id: string;
  key_id: string;
  /** The HTTP request's, for the NATS requests made for it. */
  correlation_id?: string;
}

/**
 * The admin acts for no app: its commands are scoped to `admin` and its events carry no app. A
 * request of /admin carries its admin token's id besides (AdminGuard); this one serves the
 * gateway's own reads of the ledger.
 */
export const ADMIN_CALLER: Caller = { app_id: null, key_id: null };

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set by AppAuthGuard or AdminGuard before any handler runs. */
    caller?: Caller;
  }
}

export function callerOf(request: FastifyRequest): Caller {
  // A route without a guard has no caller: a programming error, never a client's.
  if (!request.caller) throw new Error(`no caller on ${request.method} ${request.url}: is the route guarded?`);
  return request.caller;
}

/** The authenticated app of a finance route. */
export const CurrentApp = createParamDecorator((_data: unknown, context: ExecutionContext): AppCaller => {
  const caller = callerOf(context.switchToHttp().getRequest<FastifyRequest>());
  if (!caller.app_id || !caller.key_id) throw new Error('an app route was reached without an app key');
  return { app_id: caller.app_id, key_id: caller.key_id, correlation_id: caller.correlation_id };
});
