/**
 * What every read accepts: how fresh it must be (read-your-writes), and the query-string integer
 * transform the lists' paging uses.
 */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, Matches } from 'class-validator';

export const CONSISTENCY_LEVELS = ['strong', 'eventual'] as const;

export const POSITION_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

/**
 * A query-string integer: only plain decimal digits become a number. `1e3`, `0x10` or `1.0`
 * stay strings and fail @IsInt, as path ids do (Number() would quietly accept them).
 */
export const DecimalInteger = () => Transform(({ value }) => (typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value));

/**
 * How fresh a read from the read models must be. Reads come from the read models, which follow
 * the ledger within milliseconds; a read waits until they include this app's own last write
 * through this gateway (read-your-writes), or the write at `min_position` (the X-Coffer-Position
 * of any response). The reads only the read models can answer (history, statements,
 * leaderboards) take this alone.
 */
export class MinPositionQueryDto {
  @ApiPropertyOptional({
    description: 'wait until the read models include the write at this position (an X-Coffer-Position header)',
    example: '4194304',
  })
  @IsOptional()
  @Matches(POSITION_PATTERN, { message: 'min_position must be a position from an X-Coffer-Position header' })
  min_position?: string;
}

/** A read the ledger can answer too (balances, finance events): `consistency=strong` asks it. */
export class ReadQueryDto extends MinPositionQueryDto {
  @ApiPropertyOptional({
    enum: CONSISTENCY_LEVELS,
    description: 'strong answers from the ledger itself (balances and finance events); eventual (default) from the read models',
  })
  @IsOptional()
  @IsIn(CONSISTENCY_LEVELS)
  consistency?: (typeof CONSISTENCY_LEVELS)[number];
}
