import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { FastifyRequest } from 'fastify';
import { runWithCorrelation } from '@coffer/platform';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_CORRELATION = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The caller's correlation id when it is a sane token, else the request's own id. */
export function correlationIdOf(request: FastifyRequest): string {
  const given = request.headers[CORRELATION_HEADER];
  return typeof given === 'string' && VALID_CORRELATION.test(given) ? given : String(request.id);
}

/** Runs the handler inside the request's correlation context, so every log line and NATS request carries it. */
@Injectable()
export class CorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const correlationId = correlationIdOf(request);
    return new Observable((subscriber) =>
      runWithCorrelation(correlationId, () => next.handle().subscribe(subscriber)),
    );
  }
}
