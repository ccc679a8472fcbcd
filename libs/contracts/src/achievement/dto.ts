/**
 * Request bodies and response shapes of the Achievements API (API.md, "Achievements"). The
 * checks are the functions of commands.ts that the achievements service's
 * decide() runs again, so the gateway and the service agree on every rule.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  buildMessage,
  IsBoolean,
  IsObject,
  IsOptional,
  Matches,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { ACHIEVEMENT_KEY_MESSAGE, ACHIEVEMENT_KEY_SCHEMA, isAchievementKey } from '../values/achievement-key';
import { nameMessage, nameSchema } from '../values/name';
import {
  isAchievementName,
  isGoal,
  isIconUrl,
  isProgressIncrement,
  isProgressValue,
  MAX_ACHIEVEMENT_DESCRIPTION_LENGTH,
  MAX_ACHIEVEMENT_NAME_LENGTH,
  MAX_GOAL,
  MAX_ICON_URL_LENGTH,
} from './commands';
import { TEXT_RULE, textSchema } from '../values/text';
import { AmountField, CurrencyField, TextField, UserIdField } from '../dto/fields';
import { CursorField, LimitField } from '../dto/paging.dto';
import { DISCORD_SNOWFLAKE_PATTERN, type AchievementReply, type ProgressReply } from './commands';
import { EXACT, TIME } from '../dto/view-schemas';
import { ACHIEVEMENT_CURSOR_PATTERN, USER_ACHIEVEMENT_CURSOR_PATTERN } from '../values/cursor';


// ---- validators ----------------------------------------------------------------------------

export function IsAchievementName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAchievementName',
      validator: {
        validate: (value) => isAchievementName(value),
        defaultMessage: buildMessage(
          (each) => `${each}${nameMessage('$property', MAX_ACHIEVEMENT_NAME_LENGTH)}`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsIconUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIconUrl',
      validator: {
        validate: (value) => isIconUrl(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an http or https URL of at most ${MAX_ICON_URL_LENGTH} characters (${TEXT_RULE})`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsGoal(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGoal',
      validator: {
        validate: (value) => isGoal(value),
        defaultMessage: buildMessage((each) => `${each}$property must be an integer from 1 to ${MAX_GOAL}`, options),
      },
    },
    options,
  );
}

type ProgressKind = 'increment' | 'set';

/** Why a progress body's `increment`/`set` pair is wrong, or null: exactly one, of the right kind. */
function progressProblem(kind: ProgressKind, body: Record<string, unknown>): string | null {
  const other: ProgressKind = kind === 'increment' ? 'set' : 'increment';
  const value = body[kind];
  if (value === undefined) {
    return body[other] === undefined ? 'exactly one of increment or set is required' : null;
  }
  if (body[other] !== undefined) return 'give either increment or set, not both';
  if (kind === 'increment') return isProgressIncrement(value) ? null : 'increment must be a positive integer';
  return isProgressValue(value) ? null : 'set must be a non-negative integer';
}

/** `increment` or `set` of a progress report: exactly one of the two, each its own kind of integer. */
function ProgressValueField(kind: ProgressKind): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional(
      kind === 'increment'
        ? {
            type: 'integer',
            minimum: 1,
            description: 'adds to the progress (give this or set); progress stops at the goal',
            example: 1,
          }
        : {
            type: 'integer',
            minimum: 0,
            description:
              'sets the progress (give this or increment); it never goes back: a lower value changes nothing, ' +
              'a higher one than the goal reaches the goal',
            example: 10,
          },
    ),
    ValidateBy({
      name: 'progressValue',
      validator: {
        validate: (_value, args?: ValidationArguments) => progressProblem(kind, (args?.object ?? {}) as Record<string, unknown>) === null,
        defaultMessage: (args?: ValidationArguments) =>
          progressProblem(kind, (args?.object ?? {}) as Record<string, unknown>) ?? `${kind} is not valid`,
      },
    }),
  );
}

function KeyField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty(ACHIEVEMENT_KEY_SCHEMA),
    ValidateBy({ name: 'isAchievementKey', validator: { validate: isAchievementKey, defaultMessage: () => ACHIEVEMENT_KEY_MESSAGE } }),
  );
}

function NameField(required: boolean): PropertyDecorator {
  const doc = { ...nameSchema(MAX_ACHIEVEMENT_NAME_LENGTH), example: 'Natural 21' };
  return applyDecorators(
    required ? ApiProperty(doc) : ApiPropertyOptional(doc),
    // Present means a real name: null is not "no name" but a mistake.
    ...(required ? [] : [ValidateIf((body: { name?: unknown }) => body.name !== undefined)]),
    IsAchievementName(),
  );
}

function AchievementDescriptionField(): PropertyDecorator {
  return TextField({
    maxLength: MAX_ACHIEVEMENT_DESCRIPTION_LENGTH,
    nullable: true,
    example: 'Win a hand of blackjack with your first two cards',
  });
}

function IconUrlField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      ...textSchema(MAX_ICON_URL_LENGTH),
      format: 'uri',
      nullable: true,
      description: `an http or https URL, ${TEXT_RULE}`,
      example: 'https://cdn.example.com/badges/natural-21.png',
    }),
    IsOptional(),
    IsIconUrl(),
  );
}

function HiddenField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'boolean',
      default: false,
      description: "a hidden achievement shows in a user's badges only once unlocked",
    }),
    ValidateIf((body: { hidden?: unknown }) => body.hidden !== undefined),
    IsBoolean(),
  );
}

// ---- requests ------------------------------------------------------------------------------

/** Paid once, from the app's house account, when a user unlocks the achievement. */
export class AchievementRewardDto {
  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;
}

export class RegisterAchievementDto {
  @KeyField()
  key!: string;

  @NameField(true)
  name!: string;

  @AchievementDescriptionField()
  description?: string | null;

  @IconUrlField()
  icon_url?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_GOAL,
    default: 1,
    description: 'progress that unlocks the achievement; 1 means a plain unlock',
    example: 100,
  })
  @ValidateIf((body: { goal?: unknown }) => body.goal !== undefined)
  @IsGoal()
  goal?: number;

  @HiddenField()
  hidden?: boolean;

  @ApiPropertyOptional({ type: AchievementRewardDto, nullable: true, description: 'credited once per user on unlock' })
  @IsOptional()
  // A list is no reward: @ValidateNested alone checks each item of a list, and @IsOptional's
  // condition then reads the list's own `reward` (none), so a list passed unchecked (a 500).
  @IsObject({ message: 'reward must be an object (amount, currency) or null' })
  @ValidateNested()
  @Type(() => AchievementRewardDto)
  reward?: AchievementRewardDto | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    pattern: DISCORD_SNOWFLAKE_PATTERN.source,
    description: "a Discord role id (a snowflake, as a string): the notifier gives it to the member on unlock (README, Discord)",
    example: '1187654321098765432',
  })
  @IsOptional()
  @Matches(DISCORD_SNOWFLAKE_PATTERN, { message: 'discord_role_id must be a Discord role id: a snowflake sent as a string of digits' })
  discord_role_id?: string | null;
}

/** Goal and reward are fixed once registered: progress and payouts already rely on them. */
export class UpdateAchievementDto {
  @NameField(false)
  name?: string;

  @AchievementDescriptionField()
  description?: string | null;

  @IconUrlField()
  icon_url?: string | null;

  @HiddenField()
  hidden?: boolean;
}

export class RecordProgressDto {
  @UserIdField()
  user_id!: string | number;

  @ProgressValueField('increment')
  increment?: number;

  @ProgressValueField('set')
  set?: number;
}

export class UnlockAchievementDto {
  @UserIdField()
  user_id!: string | number;
}

// ---- responses -----------------------------------------------------------------------------

export class AchievementRewardView {
  @ApiProperty({ description: `amount, ${EXACT}`, example: '250' }) amount!: string;
  @ApiProperty({ example: 'coins' }) currency!: string;
}

export class AchievementView implements AchievementReply {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'first_blackjack' }) key!: string;
  @ApiProperty({ example: 'Natural 21' }) name!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'Win a hand with your first two cards' }) description!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'https://cdn.example.com/badges/natural-21.png' })
  icon_url!: string | null;
  @ApiProperty({ example: 1 }) goal!: number;
  @ApiProperty({ example: false }) hidden!: boolean;
  @ApiProperty({ type: AchievementRewardView, nullable: true }) reward!: AchievementRewardView | null;
  @ApiProperty({ type: 'string', nullable: true, example: '1187654321098765432', description: 'the Discord role given on unlock' })
  discord_role_id!: string | null;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ ...TIME }) updated_at!: string;
}

export class AchievementList {
  @ApiProperty({ type: [AchievementView], description: "the calling app's achievements (hidden ones too), by key" })
  data!: AchievementView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}

export class ProgressView implements ProgressReply {
  @ApiProperty({ example: 'first_blackjack' }) key!: string;
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ example: 40 }) progress!: number;
  @ApiProperty({ example: 100 }) goal!: number;
  @ApiProperty({ example: false }) unlocked!: boolean;
  @ApiProperty({ ...TIME, nullable: true, example: null }) unlocked_at!: string | null;
}

export class UserAchievementView {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'first_blackjack' }) key!: string;
  @ApiProperty({ example: 'Natural 21' }) name!: string;
  @ApiProperty({ type: 'string', nullable: true }) description!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) icon_url!: string | null;
  @ApiProperty({ example: 1 }) progress!: number;
  @ApiProperty({ example: 1 }) goal!: number;
  @ApiProperty({ example: true }) unlocked!: boolean;
  @ApiProperty({ ...TIME, nullable: true }) unlocked_at!: string | null;
}

export class UserAchievementList {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({
    type: [UserAchievementView],
    description: "every app's achievements with this user's progress, by app and key; a hidden one only once unlocked",
  })
  data!: UserAchievementView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}

export class AchievementStatsView {
  @ApiProperty({ example: 'first_blackjack' }) key!: string;
  @ApiProperty({ description: 'users whose progress is above zero', example: 120 }) users_with_progress!: number;
  @ApiProperty({ description: 'users who unlocked it', example: 30 }) unlocked_count!: number;
  @ApiProperty({ description: 'unlocked_count / users_with_progress (0 when nobody has progress)', example: 0.25 })
  unlock_rate!: number;
}

/** GET /achievements: the app's achievements by key. */
export class AchievementListQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(ACHIEVEMENT_CURSOR_PATTERN)
  cursor?: string;
}

/** GET /users/:user_id/achievements: every app's achievements, by app and key. */
export class UserAchievementListQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(USER_ACHIEVEMENT_CURSOR_PATTERN)
  cursor?: string;
}
