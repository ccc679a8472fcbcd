/**
 * Paging of the lists: every list answers at most `limit` items (at most MAX_LIST_LIMIT) and a
 * `next_cursor` to pass as `cursor` for the next page (null on the last), so no request makes
 * the gateway read or send an unbounded list.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { CURSOR_MESSAGE, cursorSchema } from '../values/cursor';
import { DecimalInteger } from './read-query';

/** The most items one page of a list holds. */
export const MAX_LIST_LIMIT = 100;

/**
 * The deepest an offset page may reach (`page × limit`): an offset is read and thrown away row
 * by row by the database, so deep pages cost ever more. Beyond it, `cursor` pages at any depth.
 */
export const MAX_OFFSET_PAGING_ROWS = 10_000;

/** `limit`: 1 to MAX_LIST_LIMIT; a list without one answers a full page. */
export function LimitField(): PropertyDecorator {
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
export function CursorField(pattern: RegExp): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional(cursorSchema(pattern)), IsOptional(), Matches(pattern, { message: CURSOR_MESSAGE }));
}
