/** GET /leaderboards/balances and GET /leaderboards/achievements: their queries and answers. */
import { ApiProperty } from '@nestjs/swagger';
import { CurrencyField } from '../dto/fields';
import { LimitField } from '../dto/paging.dto';
import { MinPositionQueryDto } from '../dto/read-query';
import { EXACT } from '../dto/view-schemas';
import type { AchievementRank, BalanceRank } from './replies';

const RANK = 'standard competition ranking: ties share a rank and the next rank skips (1, 1, 3)';

export class AchievementLeaderboardQueryDto extends MinPositionQueryDto {
  @LimitField()
  limit?: number;
}

export class BalanceLeaderboardQueryDto extends AchievementLeaderboardQueryDto {
  @CurrencyField()
  currency?: string;
}

export class BalanceRankView implements BalanceRank {
  @ApiProperty({ description: RANK, example: 1 }) rank!: number;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ description: `posted balance, ${EXACT}`, example: '1500' }) value!: string;
}

export class BalanceLeaderboardView {
  @ApiProperty({ type: [BalanceRankView], description: 'highest first, ties by user_id; wallets holding none of the currency are left out' })
  data!: BalanceRankView[];
}

export class AchievementRankView implements AchievementRank {
  @ApiProperty({ description: RANK, example: 1 }) rank!: number;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ description: 'achievements unlocked, across every app', example: 12 }) value!: number;
}

export class AchievementLeaderboardView {
  @ApiProperty({ type: [AchievementRankView], description: 'most first, ties by user_id; users with no unlock are left out' })
  data!: AchievementRankView[];
}
