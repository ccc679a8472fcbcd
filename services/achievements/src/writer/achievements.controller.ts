import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { isId, PATTERNS, refusal, type AchievementRequestBody, type Reply, type Request } from '@coffer/contracts';
import { senderOf, takeRequest } from '@coffer/platform';
import { AchievementsWriter } from './achievements-writer';

/** NATS adapter of the writer: commands and the one query in, replies out. Nothing is decided here. */
@Controller()
export class AchievementsController {
  constructor(@Inject(AchievementsWriter) private readonly writer: AchievementsWriter) {}

  @MessagePattern(PATTERNS.achievementsCommands)
  handle(@Payload() request: Request<AchievementRequestBody>, @Ctx() context: NatsContext): Promise<Reply<unknown>> {
    // Apps reach achievements through the gateway only: no other signer (the achievements service
    // itself, which pays rewards to the ledger) has any business here.
    const sender = senderOf(context);
    if (sender !== 'gateway') return Promise.resolve(refusal('FORBIDDEN', `the ${sender} service may not send achievements requests`));
    return takeRequest(request, isRequestBody, 'malformed achievements request', ({ meta, body }) =>
      'query' in body ? this.writer.query(body.query, meta) : this.writer.command(body, meta),
    );
  }
}

function isRequestBody(body: unknown): body is AchievementRequestBody {
  // The request hash lands in event metadata: it follows the value rules too.
  const requestHash = (body as { request_hash?: unknown } | null)?.request_hash;
  return (
    typeof body === 'object' &&
    body !== null &&
    ('query' in body || 'command' in body) &&
    (requestHash === undefined || requestHash === null || requestHash === '' || isId(requestHash))
  );
}
