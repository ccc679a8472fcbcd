import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { MAX_LIST_LIMIT, UserAchievementList, UserAchievementListQueryDto } from '@coffer/contracts/http';
import { realmOfApp } from '@coffer/contracts';
import { AppAuthGuard, RequiresScope } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { ApiErrors } from '../http/api-docs';
import { UserIdParam, userIdParamDoc } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { AchievementReads } from './achievement-reads';

@ApiTags('achievements')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@RequiresScope('achievements')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('users')
export class UserAchievementsController {
  constructor(@Inject(AchievementReads) private readonly reads: AchievementReads) {}

  @Get(':user_id/achievements')
  @ApiOperation({ operationId: 'listUserAchievements',
    summary: "A user's badges across every app of the realm",
    description: "Every app's achievements (the calling app's realm) with the user's progress; a hidden one shows only once unlocked. From the read model.",
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiOkResponse({ type: UserAchievementList })
  @ApiErrors('VALIDATION_FAILED')
  async list(
    @UserIdParam('user_id') userId: string,
    @Query() query: UserAchievementListQueryDto,
    @CurrentApp() app: AppCaller,
  ): Promise<UserAchievementList> {
    const page = await this.reads.ofUser(realmOfApp(app.app_id), userId, query.limit ?? MAX_LIST_LIMIT, query.cursor);
    return { user_id: userId, ...page };
  }
}
