import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { AdminToken } from './admin-token';
import { bearerToken } from './api-keys';
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
    const token = bearerToken(request.headers.authorization);
    if (token === null || !this.adminToken.matches(token)) {
      const refusal = new ApiError('UNAUTHENTICATED', 'the admin token is missing or wrong: Authorization: Bearer <admin token>');
      throw failedAuthentication(this.limits, request.ip, refusal);
    }
    request.caller = ADMIN_CALLER;
    return true;
  }
}
