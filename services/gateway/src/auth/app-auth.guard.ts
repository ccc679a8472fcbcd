import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { AddressLimits } from '../rate-limit/address-limits';
import { ApiKeyRegistry } from './api-key-registry';
import { bearerToken, isWellFormedApiKey } from './api-keys';
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
    const key = bearerToken(request.headers.authorization);
    // A malformed key is refused without a lookup, so garbage never makes the registry ask the ledger.
    if (key === null || !isWellFormedApiKey(key)) {
      const refusal = new ApiError('UNAUTHENTICATED', 'an API key is required: Authorization: Bearer <api_key>');
      throw failedAuthentication(this.limits, request.ip, refusal);
    }
    const owner = await this.registry.lookup(key);
    if (!owner) throw failedAuthentication(this.limits, request.ip, new ApiError('UNAUTHENTICATED', 'the API key is unknown or revoked'));
    request.caller = owner;
    return true;
  }
}
