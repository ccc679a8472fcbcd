import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import {
  isId,
  PATTERNS,
  type LedgerCommandBody,
  type LedgerQuery,
  type Reply,
  type Request,
} from '@coffer/contracts';
import { senderOf, takeRequest } from '@coffer/platform';
import { LedgerWriter } from './ledger-writer';

/** NATS adapter of the writer: commands and queries in, replies out. Nothing is decided here. */
@Controller()
export class LedgerController {
  constructor(@Inject(LedgerWriter) private readonly writer: LedgerWriter) {}

  @MessagePattern(PATTERNS.ledgerCommands)
  command(@Payload() request: Request<LedgerCommandBody>, @Ctx() context: NatsContext): Promise<Reply<unknown>> {
    const sender = senderOf(context);
    return takeRequest(request, isCommandBody, 'malformed ledger command', ({ body, meta }) => this.writer.command(body, meta, sender));
  }

  @MessagePattern(PATTERNS.ledgerQueries)
  query(@Payload() request: Request<LedgerQuery>): Promise<Reply<unknown>> {
    return takeRequest(request, isQuery, 'malformed ledger query', ({ body }) => this.writer.query(body));
  }
}

/** A query's type is the writer's to check (it answers an unknown one with a 400). */
function isQuery(body: unknown): body is LedgerQuery {
  return typeof body === 'object' && body !== null && Boolean((body as Partial<LedgerQuery>).type);
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
