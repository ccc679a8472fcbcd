import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import { DEFAULT_REALM, MAX_STATEMENT_MOVEMENTS, parseTime } from '@coffer/contracts';
import { MAX_LIST_LIMIT, RealmQueryDto, StatementView } from '@coffer/contracts/http';
import { balance, listTransactions, moneySupply, openFinanceEvents, statement, userAchievements, withZeroBalance, type Queryable } from '@coffer/read-models';
import { AdminGuard } from '../auth/admin.guard';
import { ApiError } from '../http/api-error';
import { ApiErrors } from '../http/api-docs';
import { currencyOrDefault } from '../http/normalize';
import { UserIdParam, userIdParamDoc } from '../http/path-params';
import { balanceView, transactionView } from '../finance/views';
import { statementView } from '../finance/statement-view';
import { readModelDb } from '../reads/read-model-db';
import { DB_POOL } from '../tokens';
import { AdminStatementQueryDto, OpenFinanceEventsQueryDto, OpenFinanceEventsView, SupplyView, UserOverviewView } from './views';

/** Badges and transactions the user overview shows at most (the app routes page through the rest). */
const USER_BADGES = 100;
const USER_TRANSACTIONS = 20;

/**
 * What the console's overview and user pages read across every app of a realm (`?realm=`, the
 * default realm without it; the /finance routes answer one app's key only). From the read
 * models: eventually consistent.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'UNAVAILABLE')
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminOverviewController {
  private readonly db: Queryable;

  constructor(@Inject(DB_POOL) pool: Pool) {
    this.db = readModelDb(pool);
  }

  @Get('stats/supply')
  @ApiOperation({ operationId: 'getMoneySupply', summary: 'Money supply per currency', description: "What the users' wallets hold, posted and pending, per currency (house accounts, the treasury and external excluded)." })
  @ApiOkResponse({ type: SupplyView })
  @ApiErrors('VALIDATION_FAILED')
  async supply(@Query() where: RealmQueryDto): Promise<SupplyView> {
    return { data: await moneySupply(this.db, where.realm ?? DEFAULT_REALM) };
  }

  @Get('finance-events')
  @ApiOperation({ operationId: 'listOpenFinanceEvents', summary: 'Open finance events of every app', description: 'Oldest first, a page at a time: rounds holding pending transactions.' })
  @ApiOkResponse({ type: OpenFinanceEventsView })
  @ApiErrors('VALIDATION_FAILED')
  async openEvents(@Query() query: OpenFinanceEventsQueryDto): Promise<OpenFinanceEventsView> {
    return openFinanceEvents(this.db, query.realm ?? DEFAULT_REALM, query.limit ?? MAX_LIST_LIMIT, query.cursor === undefined ? undefined : Number(query.cursor));
  }

  @Get('users/:user_id')
  @ApiOperation({ operationId: 'getUserOverview', summary: "A user's balances, badges and latest transactions, across every app" })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiOkResponse({ type: UserOverviewView })
  @ApiErrors('VALIDATION_FAILED')
  async user(@UserIdParam('user_id') userId: string, @Query() where: RealmQueryDto): Promise<UserOverviewView> {
    const realm = where.realm ?? DEFAULT_REALM;
    const [balances, badges, recent] = await Promise.all([
      balance(this.db, realm, userId),
      userAchievements(this.db, realm, userId, USER_BADGES),
      // With user_id the app only narrows an event_id filter, which this leaves out: every app's.
      listTransactions(this.db, { realm, app_id: '', user_id: userId, limit: USER_TRANSACTIONS }),
    ]);
    return {
      user_id: userId,
      balances: balanceView(withZeroBalance(balances)).balances,
      achievements: badges.data,
      transactions: recent.data.map(transactionView),
    };
  }

  @Get('users/:user_id/statement')
  @ApiOperation({
    operationId: 'getUserStatement',
    summary: "A user's statement in one currency, for operators",
    description: `As GET /finance/statement/:user_id (JSON only), across every app. At most ${MAX_STATEMENT_MOVEMENTS} movements: more is 422 LIMIT_EXCEEDED with details.split_at.`,
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiOkResponse({ type: StatementView })
  @ApiErrors('VALIDATION_FAILED', 'LIMIT_EXCEEDED')
  async statement(@UserIdParam('user_id') userId: string, @Query() query: AdminStatementQueryDto): Promise<StatementView> {
    const from = query.from === undefined ? undefined : (parseTime(query.from) ?? undefined);
    const to = query.to === undefined ? undefined : (parseTime(query.to) ?? undefined);
    if (from && to && to < from) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { to: ['to must not be before from'] } });
    if (query.format === 'csv') throw new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { format: ['the operators\' statement is JSON only'] } });
    const period = { realm: query.realm ?? DEFAULT_REALM, user_id: userId, currency: currencyOrDefault(query.currency), from, to };
    return statementView(period, await statement(this.db, period, MAX_STATEMENT_MOVEMENTS));
  }
}
