import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { DEFAULT_AUDIT_LIMIT, DEFAULT_REALM, MAX_ADMIN_TOKENS, MAX_DAILY_STATS_DAYS, parseTime } from '@coffer/contracts';
import {
  AdminIdentityView,
  AdminTokenCreated,
  AdminTokenList,
  AuditList,
  AuditQueryDto,
  CreateAdminTokenDto,
  DailyStatsList,
  DailyStatsQueryDto,
} from '@coffer/contracts/http';
import { dailyStats, MAX_DAILY_STATS_ROWS, searchAuditTrail, type Queryable } from '@coffer/read-models';
import { AdminGuard } from '../auth/admin.guard';
import { AdminTokens } from '../auth/admin-tokens';
import { ApiError } from '../http/api-error';
import { ApiErrors } from '../http/api-docs';
import { OpaqueIdParam, opaqueIdParamDoc } from '../http/path-params';
import { readModelDb } from '../reads/read-model-db';
import { DB_POOL } from '../tokens';

const DAY_MS = 86_400_000;

function invalid(fields: Record<string, string[]>): ApiError {
  return new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields });
}

/** A day as YYYY-MM-DD that names a real date (2026-02-30 does not), as epoch ms; null otherwise. */
function dayMs(day: string): number | null {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? null : ms;
}

/** The operators' own routes: admin tokens and their roles, the audit trail, the daily figures. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE')
@UseGuards(AdminGuard)
@Controller('admin')
export class OperatorsController {
  private readonly db: Queryable;

  constructor(
    @Inject(AdminTokens) private readonly tokens: AdminTokens,
    @Inject(DB_POOL) pool: Pool,
  ) {
    this.db = readModelDb(pool);
  }

  @Post('tokens')
  @ApiOperation({
    operationId: 'createAdminToken',
    summary: 'Create an admin token with a role',
    description: `The token is in this answer only (only its hash is kept). At most ${MAX_ADMIN_TOKENS} live tokens. Admins only.`,
  })
  @ApiCreatedResponse({ type: AdminTokenCreated })
  @ApiErrors('VALIDATION_FAILED', 'LIMIT_EXCEEDED')
  async createToken(@Body() body: CreateAdminTokenDto, @Req() request: FastifyRequest): Promise<AdminTokenCreated> {
    const created = await this.tokens.create(body.name.trim(), body.role, this.holder(request));
    return { token_id: created.token_id, name: created.name, role: created.role, token: created.token, created_at: created.created_at, created_by: created.created_by };
  }

  @Get('tokens')
  @ApiOperation({ operationId: 'listAdminTokens', summary: 'The live admin tokens', description: 'Never their secrets. The deployment\'s own token (root) is not listed.' })
  @ApiOkResponse({ type: AdminTokenList })
  async listTokens(): Promise<AdminTokenList> {
    return { data: await this.tokens.list() };
  }

  @Delete('tokens/:token_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteAdminToken', summary: 'Delete an admin token', description: 'Refused at once by every gateway. Admins only.' })
  @ApiParam(opaqueIdParamDoc('token_id'))
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async deleteToken(@OpaqueIdParam('token_id') tokenId: string, @Req() request: FastifyRequest): Promise<void> {
    if (!(await this.tokens.delete(tokenId, this.holder(request)))) throw new ApiError('NOT_FOUND', `no live admin token ${tokenId}`);
  }

  @Get('whoami')
  @ApiOperation({
    operationId: 'whoami',
    summary: 'The admin token this request carries and its role',
    description: 'For a console to show what the signed-in token may do (every role may ask).',
  })
  @ApiOkResponse({ type: AdminIdentityView })
  whoami(@Req() request: FastifyRequest): AdminIdentityView {
    if (!request.admin) throw new Error('an admin route was reached without an admin token');
    return { token_id: request.admin.token_id, role: request.admin.role };
  }

  @Get('audit')
  @ApiOperation({
    operationId: 'searchAudit',
    summary: 'Search the audit trail',
    description:
      'Every command a writer decided, accepted or refused, with or without an Idempotency-Key: who sent it (app and key, or ' +
      'admin token), when, what (its type and users), its correlation id and its outcome (events, or the refusal). Newest first. ' +
      'Commands refused at the gateway (malformed requests, 401, 403, 429) never reached a writer and are not in it.',
  })
  @ApiOkResponse({ type: AuditList })
  @ApiErrors('VALIDATION_FAILED')
  async audit(@Query() query: AuditQueryDto): Promise<AuditList> {
    const from = query.from === undefined ? undefined : (parseTime(query.from) as Date).toISOString();
    const to = query.to === undefined ? undefined : (parseTime(query.to) as Date).toISOString();
    if (from !== undefined && to !== undefined && from > to) throw invalid({ to: ['to must not be before from'] });
    return searchAuditTrail(this.db, {
      realm: query.realm,
      app_id: query.app_id,
      user_id: query.user_id,
      correlation_id: query.correlation_id,
      type: query.type,
      from,
      to,
      before: query.cursor,
      limit: query.limit ?? DEFAULT_AUDIT_LIMIT,
    });
  }

  @Get('stats/daily')
  @ApiOperation({
    operationId: 'dailyStats',
    summary: 'Daily figures: money, active users and unlocks per day, app and currency',
    description:
      `From the daily totals (what the daily.summary webhook sends). At most ${MAX_DAILY_STATS_DAYS} days per request, ` +
      `and at most ${MAX_DAILY_STATS_ROWS} rows (422 LIMIT_EXCEEDED: narrow by app_id, currency or days).`,
  })
  @ApiOkResponse({ type: DailyStatsList })
  @ApiErrors('VALIDATION_FAILED', 'LIMIT_EXCEEDED')
  async daily(@Query() query: DailyStatsQueryDto): Promise<DailyStatsList> {
    const from = dayMs(query.from);
    const to = dayMs(query.to);
    if (from === null || to === null) {
      throw invalid({ ...(from === null ? { from: ['from must be a real day'] } : {}), ...(to === null ? { to: ['to must be a real day'] } : {}) });
    }
    if (to < from) throw invalid({ to: ['to must not be before from'] });
    const days = (to - from) / DAY_MS + 1;
    if (days > MAX_DAILY_STATS_DAYS) {
      throw new ApiError('LIMIT_EXCEEDED', `at most ${MAX_DAILY_STATS_DAYS} days per request (asked for ${days})`, { limit: MAX_DAILY_STATS_DAYS });
    }
    const rows = await dailyStats(this.db, {
      realm: query.realm ?? DEFAULT_REALM,
      from: query.from,
      to: query.to,
      app_id: query.app_id,
      currency: query.currency,
    });
    if (rows === null) {
      throw new ApiError('LIMIT_EXCEEDED', `more than ${MAX_DAILY_STATS_ROWS} rows: narrow by app_id, currency or days`, { limit: MAX_DAILY_STATS_ROWS });
    }
    return { data: rows };
  }

  /** The token id of the admin calling (AdminGuard set it). */
  private holder(request: FastifyRequest): string {
    if (!request.admin) throw new Error('an admin route was reached without an admin token');
    return request.admin.token_id;
  }
}
