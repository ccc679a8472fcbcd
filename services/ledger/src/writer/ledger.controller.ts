import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import {
  isId,
  isRequestMeta,
  PATTERNS,
  refusal,
  type LedgerCommandBody,
  type LedgerQuery,
  type Reply,
  type Request,
} from '@coffer/contracts';
import { runWithCorrelation, senderOf } from '@coffer/platform';
import { LedgerWriter } from './ledger-writer';

/** NATS adapter of the writer: commands and queries in, replies out. Nothing is decided here. */
@Controller()
export class LedgerController {
  constructor(@Inject(LedgerWriter) private readonly writer: LedgerWriter) {}

  @MessagePattern(PATTERNS.ledgerCommands)
  command(@Payload() request: Request<LedgerCommandBody>, @Ctx() context: NatsContext): Promise<Reply<unknown>> {
    if (!isRequest(request) || !isCommandBody(request.body)) {
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
  return typeof value === 'object' && value !== null && isRequestMeta((value as Request<unknown>).meta);
}

/**
 * The command's fields are decide()'s to check, and who may send it too (a command the ledger
 * gives itself, expiry or a new term, is never obeyed from NATS: its sender is never the ledger);
 * its envelope is checked here. The request hash lands in event metadata, so it follows the
 * value rules too.
 */
function isCommandBody(body: unknown): body is LedgerCommandBody {
  const { command, request_hash } = (body ?? {}) as Partial<LedgerCommandBody>;
  return typeof command === 'object' && command !== null && (request_hash === null || isId(request_hash));
}
