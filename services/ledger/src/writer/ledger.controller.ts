import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { PATTERNS, refusal, type LedgerCommandBody, type LedgerQuery, type Reply, type Request } from '@coffer/contracts';
import { runWithCorrelation, senderOf } from '@coffer/platform';
import { LedgerWriter } from './ledger-writer';

/** NATS adapter of the writer: commands and queries in, replies out. Nothing is decided here. */
@Controller()
export class LedgerController {
  constructor(@Inject(LedgerWriter) private readonly writer: LedgerWriter) {}

  @MessagePattern(PATTERNS.ledgerCommands)
  command(@Payload() request: Request<LedgerCommandBody>, @Ctx() context: NatsContext): Promise<Reply<unknown>> {
    if (!isRequest(request) || !request.body?.command?.type) {
      return Promise.resolve(refusal('VALIDATION_FAILED', 'malformed ledger command'));
    }
    const sender = senderOf(context);
    return runWithCorrelation(request.meta.correlation_id, () => this.writer.command(request.body, request.meta, sender));
  }

  @MessagePattern(PATTERNS.ledgerQueries)
  query(@Payload() request: Request<LedgerQuery>): Promise<Reply<unknown>> {
    if (!isRequest(request) || !request.body?.type) {
      return Promise.resolve(refusal('VALIDATION_FAILED', 'malformed ledger query'));
    }
    return runWithCorrelation(request.meta.correlation_id, () => this.writer.query(request.body));
  }
}

function isRequest(value: unknown): value is Request<unknown> {
  const meta = (value as Request<unknown>)?.meta;
  return typeof meta?.command_id === 'string' && typeof meta?.correlation_id === 'string';
}
