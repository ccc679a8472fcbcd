import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ACHIEVEMENT_KEY_MESSAGE, ACHIEVEMENT_KEY_SCHEMA, isAchievementKey } from '@coffer/contracts';
import { ApiError } from '../http/api-error';

export const ACHIEVEMENT_KEY_PARAM = {
  name: 'key',
  description: ACHIEVEMENT_KEY_SCHEMA.description,
  schema: ACHIEVEMENT_KEY_SCHEMA,
};

/** `:key`: an achievement key (values/achievement-key.ts); a malformed one is 400, a well-formed unknown one 404. */
export const AchievementKeyParam = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const params = context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string | undefined>;
  const key = params.key ?? '';
  if (!isAchievementKey(key)) {
    throw new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { key: [ACHIEVEMENT_KEY_MESSAGE] } });
  }
  return key;
});
