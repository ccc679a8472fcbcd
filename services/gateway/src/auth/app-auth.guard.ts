import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { unauthenticated, type ApiError } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { ApiKeyRegistry } from './api-key-registry';
import { isWellFormedApiKey } from './api-keys';
import { credentialsOf, MALFORMED_AUTHORIZATION } from './credentials';
import { failedAuthentication } from './failed-authentication';

/**
 * App routes: `Authorization: Bearer <api_key>` of a live key; sets request.caller to its app and
 * key. A miss counts against the client's address (failed-authentication.ts).
 */
@Injectable()
export class AppAuthGuard implements CanActivate {
  constructor(
    @Inject(ApiKeyRegistry) private readonly registry: ApiKeyRegistry,
    @Inject(AddressLimits) private readonly limits: AddressLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const credentials = credentialsOf(request.headers.authorization);
    if (credentials.kind !== 'bearer') throw this.refuse(request, refusalOf(credentials.kind));
    // A malformed key is refused without a lookup, so garbage never makes the registry ask the ledger.
    if (!isWellFormedApiKey(credentials.token)) throw this.refuse(request, unauthenticated(NOT_AN_API_KEY, true));
    const owner = await this.registry.lookup(credentials.token);
    if (!owner) throw this.refuse(request, unauthenticated('the API key is unknown or revoked', true));
    request.caller = owner;
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
