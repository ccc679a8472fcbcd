import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { roleAllows, ROOT_ADMIN_TOKEN_ID, type AdminRole } from '@coffer/contracts';
import { ApiError, unauthenticated } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { AdminToken } from './admin-token';
import { ADMIN_ROLE_METADATA, defaultRoleFor } from './admin-roles';
import { AdminTokens, type AdminIdentity } from './admin-tokens';
import { credentialsOf, MALFORMED_AUTHORIZATION } from './credentials';
import { failedAuthentication } from './failed-authentication';

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token of an /admin request and its role: set by AdminGuard. */
    admin?: AdminIdentity;
  }
}

/**
 * /admin/*: an admin token only (an app's API key is refused like any wrong token), of a role
 * the route allows (admin-roles.ts). The deployment's own token (COFFER_ADMIN_TOKEN or the
 * generated one) is an admin with the id `root`; the others are looked up on every request, so
 * a deleted one is refused at once, on every gateway.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    @Inject(AdminToken) private readonly adminToken: AdminToken,
    @Inject(AdminTokens) private readonly tokens: AdminTokens,
    @Inject(AddressLimits) private readonly limits: AddressLimits,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const identity = await this.identify(request);
    const needed =
      this.reflector.getAllAndOverride<AdminRole | undefined>(ADMIN_ROLE_METADATA, [context.getHandler(), context.getClass()]) ??
      defaultRoleFor(request.method);
    if (!roleAllows(identity.role, needed)) {
      throw new ApiError('FORBIDDEN', `this admin token's role (${identity.role}) may not do this: it needs ${needed}`, {
        role: identity.role,
        needed,
      });
    }
    request.admin = identity;
    request.caller = { app_id: null, key_id: null, admin_token_id: identity.token_id, correlation_id: request.correlationId };
    return true;
  }

  private async identify(request: FastifyRequest): Promise<AdminIdentity> {
    const credentials = credentialsOf(request.headers.authorization);
    if (credentials.kind === 'bearer') {
      if (this.adminToken.matches(credentials.token)) return { token_id: ROOT_ADMIN_TOKEN_ID, role: 'admin' };
      const held = await this.tokens.identify(credentials.token);
      if (held) return held;
    }
    const refusal =
      credentials.kind === 'missing'
        ? unauthenticated('an admin token is required: send "Authorization: Bearer <admin token>"', false)
        : credentials.kind === 'malformed'
          ? unauthenticated(MALFORMED_AUTHORIZATION, false)
          : unauthenticated('the bearer token is not the admin token nor a live admin token (an app API key is refused here too)', true);
    throw failedAuthentication(this.limits, request.ip, refusal);
  }
}
