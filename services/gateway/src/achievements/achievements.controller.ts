import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  PATTERNS,
  type AchievementChanges,
  type AchievementQueryBody,
  type AchievementReply,
  type RegisterAchievementReply,
  type ProgressReply,
  type RecordProgress,
  type RegisterAchievement,
} from '@coffer/contracts';
import {
  AchievementList,
  AchievementListQueryDto,
  AchievementStatsView,
  AchievementView,
  ProgressView,
  RecordProgressDto,
  RegisterAchievementDto,
  UnlockAchievementDto,
  UpdateAchievementDto,
  MAX_LIST_LIMIT,
} from '@coffer/contracts/http';
import { AppAuthGuard, RequiresScope } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiError } from '../http/api-error';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { currencyOrDefault, exactAmount, exactUserId } from '../http/normalize';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ACHIEVEMENT_KEY_PARAM, AchievementKeyParam } from './achievement-key.param';
import { AchievementReads } from './achievement-reads';
import { achievementView, progressView } from './views';

/**
 * Achievements of the calling app (API.md, "Achievements"): register and edit them, report
 * users' progress, unlock them. Writes go to the achievements service; the list and the stats
 * come from the read models.
 */
@ApiTags('achievements')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@RequiresScope('achievements')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('achievements')
export class AchievementsController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(AchievementReads) private readonly reads: AchievementReads,
  ) {}

  @Post()
  @ApiOperation({ operationId: 'registerAchievement',
    summary: 'Register an achievement',
    description:
      'Keys are unique per app. Registering the very same definition again changes nothing (apps may register ' +
      'at every start) and answers the existing achievement with 200; the same key with another definition is ' +
      '409 CONFLICT. goal and reward are fixed once registered.',
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: AchievementView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiOkResponse({ type: AchievementView, headers: COMMAND_RESPONSE_HEADERS, description: 'the same definition was registered before' })
  @ApiErrors('VALIDATION_FAILED', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED', 'LIMIT_EXCEEDED')
  async register(@Body() body: RegisterAchievementDto, @Command() context: CommandContext): Promise<AchievementView> {
    const request: RegisterAchievement['data'] = {
      key: body.key,
      name: body.name,
      description: body.description ?? null,
      icon_url: body.icon_url ?? null,
      goal: body.goal ?? 1,
      hidden: body.hidden ?? false,
      reward: body.reward ? { amount: exactAmount(body.reward.amount), currency: currencyOrDefault(body.reward.currency) } : null,
      discord_role_id: body.discord_role_id ?? null,
    };
    // Hashed without a null role, as before roles existed: a retry across the upgrade is still the same request.
    const { discord_role_id: _none, ...withoutRole } = request;
    const hashed = request.discord_role_id === null ? withoutRole : request;
    const { result } = await this.commands.send<RegisterAchievementReply>(context, '/achievements', hashed, {
      type: 'RegisterAchievement',
      data: request,
    });
    // The domain says whether this register created the achievement; the key holding this very
    // definition already answers the existing achievement with 200 (API.md). The view leaves
    // `created` out of the body.
    if (!result.created) void context.reply.status(200);
    return achievementView(result);
  }

  @Get()
  @ApiOperation({ operationId: 'listAchievements', summary: "The app's achievements", description: 'Hidden ones too; from the read model, by key, a page at a time.' })
  @ApiOkResponse({ type: AchievementList })
  @ApiErrors('VALIDATION_FAILED')
  async list(@Query() query: AchievementListQueryDto, @CurrentApp() app: AppCaller): Promise<AchievementList> {
    const page = await this.reads.list(app.app_id, query.limit ?? MAX_LIST_LIMIT, query.cursor);
    return { data: page.data.map(achievementView), next_cursor: page.next_cursor };
  }

  @Get(':key')
  @ApiOperation({ operationId: 'getAchievement', summary: 'One achievement of the app', description: 'Answered by the achievements service: reflects every write.' })
  @ApiParam(ACHIEVEMENT_KEY_PARAM)
  @ApiOkResponse({ type: AchievementView })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async get(@AchievementKeyParam() key: string, @CurrentApp() app: AppCaller): Promise<AchievementView> {
    return achievementView(await this.achievement(key, app));
  }

  @Patch(':key')
  @ApiOperation({ operationId: 'updateAchievement', summary: 'Change an achievement', description: 'name, description, icon_url, hidden; null clears description and icon_url.' })
  @ApiParam(ACHIEVEMENT_KEY_PARAM)
  @ApiIdempotent()
  @ApiOkResponse({ type: AchievementView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async update(
    @AchievementKeyParam() key: string,
    @Body() body: UpdateAchievementDto,
    @Command() context: CommandContext,
  ): Promise<AchievementView> {
    const changes: AchievementChanges = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.description !== undefined) changes.description = body.description;
    if (body.icon_url !== undefined) changes.icon_url = body.icon_url;
    if (body.hidden !== undefined) changes.hidden = body.hidden;
    if (Object.keys(changes).length === 0) {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', {
        fields: { body: ['give at least one of name, description, icon_url, hidden'] },
      });
    }
    const { result } = await this.commands.send<AchievementReply>(context, `/achievements/${key}`, changes, {
      type: 'UpdateAchievement',
      data: { key, changes },
    });
    return achievementView(result);
  }

  @Post(':key/progress')
  @HttpCode(200)
  @ApiOperation({ operationId: 'recordProgress',
    summary: "Report a user's progress",
    description:
      'Exactly one of increment and set. Progress never exceeds the goal and never goes back (a lower set changes ' +
      'nothing and answers the current state); reaching the goal unlocks the achievement once and credits its ' +
      "reward once, from the app's house account.",
  })
  @ApiParam(ACHIEVEMENT_KEY_PARAM)
  @ApiIdempotent()
  @ApiOkResponse({ type: ProgressView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async progress(
    @AchievementKeyParam() key: string,
    @Body() body: RecordProgressDto,
    @Command() context: CommandContext,
  ): Promise<ProgressView> {
    const request: Omit<RecordProgress['data'], 'key'> = { user_id: exactUserId(body.user_id) };
    if (body.increment !== undefined) request.increment = body.increment;
    else request.set = body.set;
    const { result } = await this.commands.send<ProgressReply>(context, `/achievements/${key}/progress`, request, {
      type: 'RecordProgress',
      data: { key, ...request },
    });
    return progressView(result);
  }

  @Post(':key/unlock')
  @HttpCode(200)
  @ApiOperation({ operationId: 'unlockAchievement', summary: 'Unlock an achievement for a user', description: 'Sets the progress to the goal; unlocking twice changes nothing.' })
  @ApiParam(ACHIEVEMENT_KEY_PARAM)
  @ApiIdempotent()
  @ApiOkResponse({ type: ProgressView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async unlock(
    @AchievementKeyParam() key: string,
    @Body() body: UnlockAchievementDto,
    @Command() context: CommandContext,
  ): Promise<ProgressView> {
    const user_id = exactUserId(body.user_id);
    const { result } = await this.commands.send<ProgressReply>(context, `/achievements/${key}/unlock`, { user_id }, {
      type: 'Unlock',
      data: { key, user_id },
    });
    return progressView(result);
  }

  @Get(':key/stats')
  @ApiOperation({ operationId: 'getAchievementStats', summary: 'How many users progressed on and unlocked an achievement of the app', description: 'From the read model.' })
  @ApiParam(ACHIEVEMENT_KEY_PARAM)
  @ApiOkResponse({ type: AchievementStatsView })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async stats(@AchievementKeyParam() key: string, @CurrentApp() app: AppCaller): Promise<AchievementStatsView> {
    const stats = await this.reads.stats(app.app_id, key);
    if (stats) return stats;
    // Not in the read model (yet): the service says whether it exists; if so, nobody has progress yet.
    await this.achievement(key, app);
    return { key, users_with_progress: 0, unlocked_count: 0, unlock_rate: 0 };
  }

  /** The achievement as its own stream holds it (exact: reflects every write). */
  private achievement(key: string, app: AppCaller): Promise<AchievementReply> {
    const body: AchievementQueryBody = { query: { type: 'GetAchievement', key } };
    return this.backend.request<AchievementReply>(PATTERNS.achievementsCommands, body, app);
  }
}
