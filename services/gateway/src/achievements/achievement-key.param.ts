import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isAchievementKey } from '@coffer/contracts';
import { ApiError } from '../http/api-error';

export const ACHIEVEMENT_KEY_PARAM = {
  name: 'key',
  description: 'the achievement, unique within the app',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
} as const;

/** `:key`: 1-64 characters of [A-Za-z0-9_.:-]; a malformed one is 400, a well-formed unknown one 404. */
export const AchievementKeyParam = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const params = context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string | undefined>;
  const key = params.key ?? '';
  if (!isAchievementKey(key)) {
    throw new ApiError('VALIDATION_FAILED', 'the request is not valid', {
      fields: { key: ['key must be 1-64 characters of [A-Za-z0-9_.:-]'] },
    });
  }
  return key;
});
