/**
 * The Achievements API's pieces, for GatewayModule to list (its controllers and providers
 * arrays): the routes rely on the gateway's NatsRequestClient, CommandSender, DB_POOL, ApiKeyRegistry and
 * RateLimiter, which GatewayModule already provides.
 */
import type { Provider, Type } from '@nestjs/common';
import { AchievementReads } from './achievement-reads';
import { AchievementsController } from './achievements.controller';
import { UserAchievementsController } from './user-achievements.controller';

export const ACHIEVEMENT_CONTROLLERS: Type[] = [AchievementsController, UserAchievementsController];

export const ACHIEVEMENT_PROVIDERS: Provider[] = [AchievementReads];
