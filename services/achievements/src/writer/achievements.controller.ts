import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PATTERNS, refusal, type AchievementRequestBody, type Reply, type Request } from '@coffer/contracts';
import { runWithCorrelation } from '@coffer/platform';
import { AchievementsWriter } from './achievements-writer';

/** NATS adapter of the writer: commands and the one query in, replies out. Nothing is decided here. */
@Controller()
export class AchievementsController {
  constructor(@Inject(AchievementsWriter) private readonly writer: AchievementsWriter) {}

  @MessagePattern(PATTERNS.achievementsCommands)
  handle(@Payload() request: Request<AchievementRequestBody>): Promise<Reply<unknown>> {
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
  return (
    typeof meta?.command_id === 'string' &&
    meta.command_id !== '' &&
    typeof meta.correlation_id === 'string' &&
    (meta.app_id === null || typeof meta.app_id === 'string') &&
    typeof body === 'object' &&
    body !== null &&
    ('query' in body || 'command' in body)
  );
}
