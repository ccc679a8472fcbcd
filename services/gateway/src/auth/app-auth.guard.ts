import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppScope } from '@coffer/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiError, unauthenticated } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { ApiKeyRegistry } from './api-key-registry';
import { isWellFormedApiKey } from './api-keys';
import { credentialsOf, MALFORMED_AUTHORIZATION } from './credentials';
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
    const credentials = credentialsOf(request.headers.authorization);
    if (credentials.kind !== 'bearer') throw this.refuse(request, refusalOf(credentials.kind));
    // A malformed key is refused without a lookup, so garbage never makes the registry ask the ledger.
    if (!isWellFormedApiKey(credentials.token)) throw this.refuse(request, unauthenticated(NOT_AN_API_KEY, true));
    const owner = await this.registry.lookup(credentials.token);
    if (!owner) throw this.refuse(request, unauthenticated('the API key is unknown or revoked', true));
    // The app's scopes travel with its requests: the achievements service decides with them.
    request.caller = { ...owner, app_scopes: this.registry.scopesOf(owner.app_id), correlation_id: request.correlationId };
    const scope = this.reflector.getAllAndOverride<AppScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scope !== undefined && !this.registry.allows(owner.app_id, scope)) {
      throw new ApiError('FORBIDDEN', `this app lacks the scope ${scope}`, { scope });
    }
    return true;
  }

  private refuse(request: FastifyRequest, refusal: ApiError): ApiError {
    return failedAuthentication(this.limits, request.ip, refusal);
  }
}

const NOT_AN_API_KEY =
  'the bearer token is not an API key (ck_ and 43 more characters, as POST /admin/apps answered it); the admin token works only on /admin';

function refusalOf(kind: 'missing' | 'malformed'): ApiError {
  return kind === 'missing'
    ? unauthenticated('an API key is required: send "Authorization: Bearer <api_key>"', false)
    : unauthenticated(MALFORMED_AUTHORIZATION, false);
}
