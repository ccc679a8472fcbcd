import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { callerOf } from '../auth/caller';
import { RateLimiter } from './token-bucket';

/** Runs after AppAuthGuard: each app gets COFFER_RATE_LIMIT_PER_SECOND, then 429 with Retry-After. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(RateLimiter) private readonly limiter: RateLimiter) {}

  canActivate(context: ExecutionContext): boolean {
    const { app_id } = callerOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (app_id === null) return true; // the admin is not an app and is not limited
    const verdict = this.limiter.take(app_id);
    if (!verdict.allowed) {
      throw new ApiError('RATE_LIMITED', 'too many requests from this app: slow down', {
        retry_after_seconds: verdict.retryAfterSeconds,
      });
    }
    return true;
  }
}
