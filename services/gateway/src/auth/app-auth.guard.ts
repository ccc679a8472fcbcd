import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppScope } from '@coffer/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { ApiKeyRegistry } from './api-key-registry';
import { bearerToken, isWellFormedApiKey } from './api-keys';
import { failedAuthentication } from './failed-authentication';

const REQUIRED_SCOPE = 'coffer:required-scope';

/**
 * The scope an app route needs beyond a live key (on a handler or its controller): the reads'
 * `finance:read` and the achievements' `achievements`, which the ledger never sees. The ledger
 * checks the scopes of its own commands again (services/ledger/src/domain/app-scopes.ts).
 */
export const RequiresScope = (scope: AppScope) => SetMetadata(REQUIRED_SCOPE, scope);

/**
 * App routes: `Authorization: Bearer <api_key>` of a live key; sets request.caller to its app and
 * key. A miss counts against the client's address (failed-authentication.ts).
 */
@Injectable()
export class AppAuthGuard implements CanActivate {
  constructor(
    @Inject(ApiKeyRegistry) private readonly registry: ApiKeyRegistry,
    @Inject(AddressLimits) private readonly limits: AddressLimits,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = bearerToken(request.headers.authorization);
    // A malformed key is refused without a lookup, so garbage never makes the registry ask the ledger.
    if (key === null || !isWellFormedApiKey(key)) {
      const refusal = new ApiError('UNAUTHENTICATED', 'an API key is required: Authorization: Bearer <api_key>');
      throw failedAuthentication(this.limits, request.ip, refusal);
    }
    const owner = await this.registry.lookup(key);
    if (!owner) throw failedAuthentication(this.limits, request.ip, new ApiError('UNAUTHENTICATED', 'the API key is unknown or revoked'));
    // The app's scopes travel with its requests: the achievements service decides with them.
    request.caller = { ...owner, app_scopes: this.registry.scopesOf(owner.app_id) };
    const scope = this.reflector.getAllAndOverride<AppScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scope !== undefined && !this.registry.allows(owner.app_id, scope)) {
      throw new ApiError('FORBIDDEN', `this app lacks the scope ${scope}`, { scope });
    }
    return true;
  }
}
