/** The admin API's app and key bodies and views (POST/GET /admin/apps, keys). */
import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { CursorField, LimitField } from '../dto/paging.dto';
import { TIME } from '../dto/view-schemas';
import { TextField } from '../dto/fields';
import { APP_CURSOR_PATTERN } from '../values/cursor';
import { MAX_APP_NAME_LENGTH } from '../values/name';

export class CreateAppDto {
  @TextField({ maxLength: MAX_APP_NAME_LENGTH, minLength: 1, required: true, description: 'name of the game or app', example: 'Blackjack' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** GET /admin/apps: the apps in the order they were registered. */
export class AppListQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(APP_CURSOR_PATTERN)
  cursor?: string;
}

export class ApiKeySummary {
  @ApiProperty({ example: 'key_3f9a0c1d2e4b5a6978877665' }) key_id!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ ...TIME, nullable: true, example: null }) revoked_at!: string | null;
}

export class AppSummary {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ type: [ApiKeySummary] }) keys!: ApiKeySummary[];
}

export class AppList {
  @ApiProperty({ type: [AppSummary], description: 'in the order they were registered' }) data!: AppSummary[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}

export class ApiKeyCreated {
  @ApiProperty({ example: 'key_3f9a0c1d2e4b5a6978877665' }) key_id!: string;
  @ApiProperty({
    type: 'string',
    description:
      'the key itself, shown only here: Coffer keeps only its hash. A replay of the same ' +
      'Idempotency-Key cannot show it again and gives null (issue another key instead).',
    nullable: true,
    example: 'ck_wq1dZs8bS2n0yqkJx8q8F3p5Yy2n0yqkJx8q8F3p5Yy',
  })
  api_key!: string | null;
}

export class AppCreated extends ApiKeyCreated {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
}
