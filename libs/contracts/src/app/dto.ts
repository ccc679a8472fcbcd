/** The admin API's app and key bodies and views (POST/GET /admin/apps, keys). */
import { ApiProperty } from '@nestjs/swagger';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { isCurrency, CURRENCY_RULE, CURRENCY_SCHEMA } from '../values/currency';
import { AMOUNT_RULE, parseAmount } from '../values/amount';
import { APP_SCOPES, type AppScope } from '../values/app-scope';
import { MAX_APP_SETTING_CURRENCIES, type AppSettings, type AppSettingsReply } from './commands';
import { CursorField, LimitField } from '../dto/paging.dto';
import { TIME } from '../dto/view-schemas';
import { RealmField, TextField } from '../dto/fields';
import { APP_CURSOR_PATTERN } from '../values/cursor';
import { MAX_APP_NAME_LENGTH } from '../values/name';

export class CreateAppDto {
  @TextField({ maxLength: MAX_APP_NAME_LENGTH, minLength: 1, required: true, description: 'name of the game or app', example: 'Blackjack' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @RealmField('the realm (community) the app belongs to: its users, balances and writer are that realm\'s')
  realm?: string;
}

/** GET /admin/apps: the apps in the order they were registered. */
export class AppListQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(APP_CURSOR_PATTERN)
  cursor?: string;

  @RealmField('the realm whose apps to list')
  realm?: string;
}

export class ApiKeySummary {
  @ApiProperty({ example: 'key_3f9a0c1d2e4b5a6978877665' }) key_id!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ ...TIME, nullable: true, example: null }) revoked_at!: string | null;
}

const isMintLimits = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length <= MAX_APP_SETTING_CURRENCIES &&
  Object.entries(value).every(([currency, amount]) => isCurrency(currency) && parseAmount(amount) !== null);

/**
 * PATCH /admin/apps/:app_id: a field left out keeps its setting; null puts back a new app's
 * (every scope, every currency, no limit); mint_limit_per_day replaces the whole map.
 */
export class UpdateAppDto {
  @ApiPropertyOptional({ type: 'array', items: { type: 'string', enum: [...APP_SCOPES] }, nullable: true, description: 'null: every scope' })
  @ValidateIfPresent()
  @IsArray()
  @ArrayUnique()
  @IsIn(APP_SCOPES, { each: true })
  scopes?: AppScope[] | null;

  @ApiPropertyOptional({ type: 'array', items: { ...CURRENCY_SCHEMA }, maxItems: MAX_APP_SETTING_CURRENCIES, nullable: true, description: 'null: every currency' })
  @ValidateIfPresent()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(MAX_APP_SETTING_CURRENCIES)
  @ValidateBy({ name: 'isCurrency', validator: { validate: isCurrency, defaultMessage: () => `each of currencies must be ${CURRENCY_RULE}` } }, { each: true })
  currencies?: string[] | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', description: AMOUNT_RULE },
    maxProperties: MAX_APP_SETTING_CURRENCIES,
    nullable: true,
    description: 'currency -> the most the app may credit in a UTC day, net of its debits; replaces the whole map ({} or null: no limit)',
    example: { coins: '10000' },
  })
  @ValidateIfPresent()
  @ValidateBy({
    name: 'isMintLimits',
    validator: {
      validate: isMintLimits,
      defaultMessage: () => `mint_limit_per_day must map at most ${MAX_APP_SETTING_CURRENCIES} currencies (${CURRENCY_RULE}) to amounts (${AMOUNT_RULE})`,
    },
  })
  mint_limit_per_day?: Record<string, string | number> | null;
}

/** Validates a field only when it is there and not null (null means: back to a new app's setting). */
function ValidateIfPresent(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null);
}

export class AppSettingsFields implements AppSettings {
  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...APP_SCOPES] }, nullable: true, description: 'null: every scope (a new app)' })
  scopes!: AppScope[] | null;
  @ApiProperty({ type: 'array', items: { ...CURRENCY_SCHEMA }, nullable: true, description: 'null: every currency (a new app)' })
  currencies!: string[] | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'currency -> daily mint limit; {}: no limit', example: {} })
  mint_limit_per_day!: Record<string, string>;
}

export class AppSettingsView extends AppSettingsFields implements AppSettingsReply {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'default', description: 'the realm the app belongs to (its id names it too)' }) realm!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
}

export class AppSummary extends AppSettingsFields {
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ example: 'default', description: 'the realm the app belongs to (its id names it too)' }) realm!: string;
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
  @ApiProperty({ example: 'default', description: 'the realm the app belongs to (its id names it too)' }) realm!: string;
  @ApiProperty({ example: 'Blackjack' }) name!: string;
  @ApiProperty({ ...TIME }) created_at!: string;
}
