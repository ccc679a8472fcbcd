import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { AdminToken } from './admin-token';
import { credentialsOf, MALFORMED_AUTHORIZATION } from './credentials';
import { ADMIN_CALLER } from './caller';
import { failedAuthentication } from './failed-authentication';

/** /admin/*: the admin token only (an app's API key is refused like any wrong token). */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    @Inject(AdminToken) private readonly adminToken: AdminToken,
    @Inject(AddressLimits) private readonly limits: AddressLimits,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const credentials = credentialsOf(request.headers.authorization);
    if (credentials.kind === 'bearer' && this.adminToken.matches(credentials.token)) {
      request.caller = ADMIN_CALLER;
      return true;
    }
    const refusal =
      credentials.kind === 'missing'
        ? unauthenticated('the admin token is required: send "Authorization: Bearer <admin token>"', false)
        : credentials.kind === 'malformed'
          ? unauthenticated(MALFORMED_AUTHORIZATION, false)
          : unauthenticated('the bearer token is not the admin token (an app API key is refused here too)', true);
    throw failedAuthentication(this.limits, request.ip, refusal);
  }
}
