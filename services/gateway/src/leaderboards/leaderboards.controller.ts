import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AchievementLeaderboardQueryDto,
  AchievementLeaderboardView,
  BalanceLeaderboardQueryDto,
  BalanceLeaderboardView,
  MAX_LIST_LIMIT,
  type MinPositionQueryDto,
} from '@coffer/contracts/http';
import { realmOfApp } from '@coffer/contracts';
import { AchievementReads } from '../achievements/achievement-reads';
import { AppAuthGuard, RequiresScope } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { FinanceReads } from '../finance/finance-reads';
import { ApiError } from '../http/api-error';
import { ApiErrors } from '../http/api-docs';
import { currencyOrDefault } from '../http/normalize';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ReadConsistency } from '../reads/consistency';

const RANKING =
  'Ties share a rank (standard competition ranking: 1, 1, 3), listed by user_id; only users appear (house accounts and ' +
  `the treasury never do). limit 1–${MAX_LIST_LIMIT} (default ${MAX_LIST_LIMIT}). From the read models, after this app's own last write.`;

/** The community's rankings: every app sees the same (the wallet and the badges are shared). */
@ApiTags('leaderboards')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('leaderboards')
export class LeaderboardsController {
  constructor(
    @Inject(FinanceReads) private readonly finance: FinanceReads,
    @Inject(AchievementReads) private readonly achievements: AchievementReads,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
  ) {}

  @RequiresScope('finance:read')
  @Get('balances')
  @ApiOperation({ operationId: 'getBalanceLeaderboard',
    summary: 'Wallets by posted balance in a currency',
    description: `Highest first; wallets holding none of the currency are left out. ${RANKING}`,
  })
  @ApiOkResponse({ type: BalanceLeaderboardView })
  @ApiErrors('VALIDATION_FAILED')
  async balances(@Query() query: BalanceLeaderboardQueryDto, @CurrentApp() app: AppCaller): Promise<BalanceLeaderboardView> {
    await this.settled(app, query);
    return { data: await this.finance.balanceLeaderboard(realmOfApp(app.app_id), currencyOrDefault(query.currency), query.limit ?? MAX_LIST_LIMIT) };
  }

  @RequiresScope('achievements')
  @Get('achievements')
  @ApiOperation({ operationId: 'getAchievementLeaderboard',
    summary: 'Users by achievements unlocked, across every app of the realm',
    description: `Most first; users who unlocked none are left out. ${RANKING}`,
  })
  @ApiOkResponse({ type: AchievementLeaderboardView })
  @ApiErrors('VALIDATION_FAILED')
  async achievementsUnlocked(@Query() query: AchievementLeaderboardQueryDto, @CurrentApp() app: AppCaller): Promise<AchievementLeaderboardView> {
    await this.settled(app, query);
    return { data: await this.achievements.leaderboard(realmOfApp(app.app_id), query.limit ?? MAX_LIST_LIMIT) };
  }

  private async settled(app: AppCaller, query: MinPositionQueryDto): Promise<void> {
    if (!(await this.consistency.settle(app.app_id, query))) {
      throw new ApiError('UNAVAILABLE', 'the read models are behind: retry shortly');
    }
  }
}
