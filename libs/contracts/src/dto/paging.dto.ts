/**
 * Paging of the lists: every list answers at most `limit` items (at most MAX_LIST_LIMIT) and a
 * `next_cursor` to pass as `cursor` for the next page (null on the last), so no request makes
 * the gateway read or send an unbounded list.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  ACHIEVEMENT_CURSOR_PATTERN,
  APP_CURSOR_PATTERN,
  CURSOR_MESSAGE,
  cursorSchema,
  USER_ACHIEVEMENT_CURSOR_PATTERN,
} from '../values/cursor';
import { DecimalInteger } from './finance.dto';

/** The most items one page of a list holds. */
export const MAX_LIST_LIMIT = 100;

/**
 * The deepest an offset page may reach (`page × limit`): an offset is read and thrown away row
 * by row by the database, so deep pages cost ever more. Beyond it, `cursor` pages at any depth.
 */
export const MAX_OFFSET_PAGING_ROWS = 10_000;

/** `limit`: 1 to MAX_LIST_LIMIT; a list without one answers a full page. */
function LimitField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: MAX_LIST_LIMIT }),
    IsOptional(),
    DecimalInteger(),
    IsInt(),
    Min(1),
    Max(MAX_LIST_LIMIT),
  );
}

/** `cursor`: the next_cursor of the previous page of this list (values/cursor.ts). */
function CursorField(pattern: RegExp): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional(cursorSchema(pattern)), IsOptional(), Matches(pattern, { message: CURSOR_MESSAGE }));
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

/** GET /admin/apps: the apps in the order they were registered. */
export class AppListQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(APP_CURSOR_PATTERN)
  cursor?: string;
}
