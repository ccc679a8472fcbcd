import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { isId, isRequestMeta, PATTERNS, refusal, type AchievementRequestBody, type Reply, type Request } from '@coffer/contracts';
import { runWithCorrelation, senderOf } from '@coffer/platform';
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
    if (!isRequest(request)) return Promise.resolve(refusal('VALIDATION_FAILED', 'malformed achievements request'));
    const { meta, body } = request;
    return runWithCorrelation(meta.correlation_id, () =>
      'query' in body ? this.writer.query(body.query, meta) : this.writer.command(body, meta),
    );
  }
}

function isRequest(value: unknown): value is Request<AchievementRequestBody> {
  const request = value as Request<AchievementRequestBody> | undefined;
  const meta = request?.meta;
  const body = request?.body as unknown;
  // The ids and the request hash land in event metadata: they follow the value rules too.
  const requestHash = (body as { request_hash?: unknown } | null)?.request_hash;
  return (
    isRequestMeta(meta) &&
    typeof body === 'object' &&
    body !== null &&
    ('query' in body || 'command' in body) &&
    (requestHash === undefined || requestHash === null || requestHash === '' || isId(requestHash))
  );
}
