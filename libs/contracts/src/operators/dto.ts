/** The operators' bodies, queries and views: admin tokens, the audit trail, daily figures. */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { RealmField, TextField, TimeField } from '../dto/fields';
import { DecimalInteger } from '../dto/read-query';
import { EXACT, TIME } from '../dto/view-schemas';
import { IsUserId } from '../dto/validators';
import { CURSOR_MESSAGE, cursorSchema } from '../values/cursor';
import { CORRELATION_ID_PATTERN, CORRELATION_ID_SCHEMA, MAX_CORRELATION_ID_LENGTH } from '../values/correlation-id';
import { ID_PATTERN, ID_SCHEMA, idMessage } from '../values/id';
import { CURRENCY_SCHEMA, isCurrency, currencyMessage } from '../values/currency';
import {
  ADMIN_ROLES,
  DEFAULT_AUDIT_LIMIT,
  MAX_ADMIN_TOKEN_NAME_LENGTH,
  MAX_ADMIN_TOKENS,
  MAX_AUDIT_LIMIT,
  MAX_DAILY_STATS_DAYS,
  type AdminRole,
} from './roles';

export class CreateAdminTokenDto {
  @TextField({ maxLength: MAX_ADMIN_TOKEN_NAME_LENGTH, minLength: 1, required: true, description: 'who or what holds it', example: 'night shift' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: ADMIN_ROLES, description: 'auditor: reads only; operator: also decides withdrawals and deposits, verifies and rebuilds; admin: all' })
  @IsIn(ADMIN_ROLES, { message: `role must be one of ${ADMIN_ROLES.join(', ')}` })
  role!: AdminRole;
}

export class AdminTokenView {
  @ApiProperty({ example: 'adm_3f9c0a1b2c3d4e5f60718293' }) token_id!: string;
  @ApiProperty({ example: 'night shift' }) name!: string;
  @ApiProperty({ enum: ADMIN_ROLES }) role!: AdminRole;
  @ApiProperty({ ...TIME }) created_at!: string;
  @ApiProperty({ example: 'root', description: "the token id of the admin who created it ('root': the deployment's own admin token)" })
  created_by!: string;
}

/** GET /admin/whoami: the token a request was sent with, and what it may do. */
export class AdminIdentityView {
  @ApiProperty({ example: 'adm_3f9c0a1b2c3d4e5f60718293', description: "'root': the deployment's own admin token" }) token_id!: string;
  @ApiProperty({ enum: ADMIN_ROLES }) role!: AdminRole;
}

export class AdminTokenCreated extends AdminTokenView {
  @ApiProperty({ example: 'cadm_Vq3…', description: 'the bearer token: shown only this once (only its hash is kept)' }) token!: string;
}

export class AdminTokenList {
  @ApiProperty({ type: [AdminTokenView], description: `the live tokens, oldest first (at most ${MAX_ADMIN_TOKENS})` }) data!: AdminTokenView[];
}

/** An id filter of a query (an app id, a correlation id). */
function IdFilter(field: string, description: string, example: string): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ ...ID_SCHEMA, description, example }), IsOptional(), Matches(ID_PATTERN, { message: idMessage(field) }));
}

/** The audit trail's cursor: the position of the last entry of the previous page. */
export const AUDIT_CURSOR_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

/** A command type: a name of letters (RegisterApp, Grant, RecordProgress). */
export const COMMAND_TYPE_PATTERN = /^[A-Za-z]{1,64}$/;

export class AuditQueryDto {
  @RealmField('only commands of this realm (without it: every realm\'s)')
  realm?: string;

  @IdFilter('app_id', 'only commands of this app', 'app_1')
  app_id?: string;

  @ApiPropertyOptional({ type: 'string', description: 'only commands that named this user', example: '169015299834642432' })
  @IsOptional()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ ...CORRELATION_ID_SCHEMA, description: 'only the commands of this request (its X-Correlation-Id)', example: '9b2f6c1e-0d4a-4c55-9f3e-2a7d8e1b6c40' })
  @IsOptional()
  @Matches(CORRELATION_ID_PATTERN, { message: `correlation_id must be 1-${MAX_CORRELATION_ID_LENGTH} characters of an id` })
  correlation_id?: string;

  @ApiPropertyOptional({ type: 'string', pattern: COMMAND_TYPE_PATTERN.source, description: 'only commands of this type', example: 'Grant' })
  @IsOptional()
  @Matches(COMMAND_TYPE_PATTERN, { message: 'type must be a command type (letters only, e.g. Grant)' })
  type?: string;

  @TimeField('only commands decided at or after it', '2026-11-30T00:00:00Z')
  from?: string;

  @TimeField('only commands decided before it', '2026-12-01')
  to?: string;

  @ApiPropertyOptional(cursorSchema(AUDIT_CURSOR_PATTERN))
  @IsOptional()
  @Matches(AUDIT_CURSOR_PATTERN, { message: CURSOR_MESSAGE })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_AUDIT_LIMIT, default: DEFAULT_AUDIT_LIMIT })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_AUDIT_LIMIT)
  limit?: number;
}

export class AuditRefusalView {
  @ApiProperty({ example: 'INSUFFICIENT_FUNDS' }) code!: string;
  @ApiProperty({ example: 'insufficient funds: available 0' }) message!: string;
}

export class AuditEntryView {
  @ApiProperty({ example: '9b2f6c1e-0d4a-4c55-9f3e-2a7d8e1b6c40', description: 'the request (X-Correlation-Id)' }) correlation_id!: string;
  @ApiProperty({ example: 'app_1:4a1f…', description: 'the command (one per Idempotency-Key; random without one)' }) command_id!: string;
  @ApiProperty({ example: 'PostTransaction', description: "the command's type (null: decided before the writers recorded it)", nullable: true, type: 'string' })
  command_type!: string | null;
  @ApiProperty({ ...TIME, description: 'when it was decided' }) decided_at!: string;
  @ApiProperty({ example: 'app_1', nullable: true, type: 'string', description: 'the app whose key sent it (null: an admin or the system)' }) app_id!: string | null;
  @ApiProperty({ example: 'key_0a1b2c3d4e5f60718293a4b5', nullable: true, type: 'string' }) key_id!: string | null;
  @ApiProperty({ example: 'root', nullable: true, type: 'string', description: 'the admin token that sent it (null: an app or the system)' })
  admin_token_id!: string | null;
  @ApiProperty({ type: [String], example: ['169015299834642432'], description: 'the users it named or moved money of' }) user_ids!: string[];
  @ApiProperty({ enum: ['accepted', 'refused'] }) outcome!: 'accepted' | 'refused';
  @ApiProperty({ type: [String], example: ['TransactionPosted'], description: 'the events it produced (a refusal: CommandRefused or AchievementCommandRefused)' })
  events!: string[];
  @ApiProperty({ type: AuditRefusalView, nullable: true, description: 'why it was refused (null: accepted)' }) refusal!: AuditRefusalView | null;
  @ApiProperty({ example: '4194304', description: 'global position of its first event: the order of the trail' }) position!: string;
}

export class AuditList {
  @ApiProperty({ type: [AuditEntryView], description: 'newest first' }) data!: AuditEntryView[];
  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'pass as cursor for the next (older) page; null on the last' })
  next_cursor!: string | null;
}

/** A day (UTC) of a daily-figures range: YYYY-MM-DD. */
export const DAY_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export class DailyStatsQueryDto {
  @RealmField('the realm whose figures to show')
  realm?: string;

  @ApiProperty({ type: 'string', format: 'date', description: `first day (UTC), included; at most ${MAX_DAILY_STATS_DAYS} days before to`, example: '2026-11-01' })
  @Matches(DAY_PATTERN, { message: 'from must be a day: YYYY-MM-DD' })
  from!: string;

  @ApiProperty({ type: 'string', format: 'date', description: 'last day (UTC), included', example: '2026-11-30' })
  @Matches(DAY_PATTERN, { message: 'to must be a day: YYYY-MM-DD' })
  to!: string;

  @IdFilter('app_id', 'only this app', 'app_1')
  app_id?: string;

  @ApiPropertyOptional({ ...CURRENCY_SCHEMA, description: 'only this currency', example: 'coins' })
  @IsOptional()
  @ValidateBy({ name: 'isCurrency', validator: { validate: isCurrency, defaultMessage: () => currencyMessage() } })
  currency?: string;
}

export class DailyStatsRow {
  @ApiProperty({ type: 'string', format: 'date', example: '2026-11-30' }) day!: string;
  @ApiProperty({ example: 'app_1', description: "the app ('': transfers between users, which belong to none)" }) app_id!: string;
  @ApiProperty({ example: 'coins', nullable: true, type: 'string', description: 'null: a day of unlocks and no money' }) currency!: string | null;
  @ApiProperty({ type: 'string', example: '1500', description: `credited to users: credits, grants, accepted deposits; ${EXACT}` }) minted!: string;
  @ApiProperty({ type: 'string', example: '1500', description: `taken from users: debits, accepted withdrawals; ${EXACT}` }) absorbed!: string;
  @ApiProperty({ type: 'string', example: '1500', description: `moved between users; ${EXACT}` }) transferred!: string;
  @ApiProperty({ type: 'integer', example: 42, description: "distinct users with a transaction of the app in the currency that day" }) active_users!: number;
  @ApiProperty({ type: 'integer', example: 3, description: "achievements of the app unlocked that day (the app's figure, on each of its currencies' rows)" })
  unlocks!: number;
}

export class DailyStatsList {
  @ApiProperty({ type: [DailyStatsRow], description: 'by day, app and currency' }) data!: DailyStatsRow[];
}
