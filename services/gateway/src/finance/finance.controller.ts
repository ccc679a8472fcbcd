import { Body, Controller, Get, Inject, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  DEFAULT_CURRENCY,
  MAX_STATEMENT_MOVEMENTS,
  parseTime,
  PATTERNS,
  realmOfApp,
  type BalanceReply,
  type LedgerQuery,
  type PostTransaction,
  type TransactionReply,
  type Transfer,
} from '@coffer/contracts';
import {
  BalanceQueryDto,
  BalanceView,
  MAX_OFFSET_PAGING_ROWS,
  MinPositionQueryDto,
  PostTransactionDto,
  ReverseTransactionDto,
  StatementQueryDto,
  StatementView,
  TransactionsPageView,
  TransactionsQueryDto,
  TransactionView,
  TransferDto,
  TransferView,
} from '@coffer/contracts/http';
import { withZeroBalance } from '@coffer/read-models';
import { AppAuthGuard, RequiresScope } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiError } from '../http/api-error';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { currencyOrDefault, descriptionOrNull, exactAmount, exactUserId } from '../http/normalize';
import { PositiveIdParam, positiveIdParamDoc, UserIdParam, userIdParamDoc } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ReadConsistency } from '../reads/consistency';
import { FinanceReads } from './finance-reads';
import { reversalRequest } from './reversal-request';
import { statementCsv } from './statement-csv';
import { statementView } from './statement-view';
import { balanceView, transactionView, transferView } from './views';

@ApiTags('finance')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('finance')
export class FinanceController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(FinanceReads) private readonly reads: FinanceReads,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
  ) {}

  @Post('transaction')
  @ApiOperation({ operationId: 'postTransaction',
    summary: "Credit or debit a user against the app's house account",
    description:
      'With event_id the transaction is pending until the event closes (a pending debit holds the funds at ' +
      'once); without, it is posted at once. A debit beyond the available balance changes nothing.',
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: TransactionView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'EVENT_NOT_OPEN', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'IDEMPOTENCY_KEY_REUSED')
  async transaction(@Body() body: PostTransactionDto, @Command() context: CommandContext): Promise<TransactionView> {
    const request: PostTransaction['data'] = {
      user_id: exactUserId(body.user_id),
      event_id: body.event_id ?? null,
      type: body.type,
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      description: descriptionOrNull(body.description),
    };
    const { result } = await this.commands.send<TransactionReply>(context, '/finance/transaction', request, { type: 'PostTransaction', data: request });
    return transactionView(result);
  }

  @Post('transfer')
  @ApiOperation({ operationId: 'postTransfer', summary: 'Move funds from one user to another', description: 'Posted at once.' })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: TransferView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'INSUFFICIENT_FUNDS', 'IDEMPOTENCY_KEY_REUSED')
  async transfer(@Body() body: TransferDto, @Command() context: CommandContext): Promise<TransferView> {
    const transfer: Transfer['data'] = {
      from_user_id: exactUserId(body.from_user_id),
      to_user_id: exactUserId(body.to_user_id),
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      description: descriptionOrNull(body.description),
    };
    if (transfer.from_user_id === transfer.to_user_id) {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', {
        fields: { to_user_id: ['to_user_id must differ from from_user_id'] },
      });
    }
    const { result } = await this.commands.send<TransactionReply>(context, '/finance/transfer', transfer, {
      type: 'Transfer',
      data: transfer,
    });
    return transferView(result);
  }

  @Post('transactions/:id/reverse')
  @ApiOperation({
    summary: 'Reverse a posted transaction of this app, in part or whole',
    description:
      'A new posted transaction (type reversal, reverses_transaction_id the original) moves the amount back: from the ' +
      "original's credit account to its debit account, in its currency. Without amount, all that is left to reverse. " +
      'Never more than the original in total (LIMIT_EXCEEDED, details.reversible), never a wallet below zero ' +
      '(INSUFFICIENT_FUNDS); a pending or voided transaction, or a reversal, cannot be reversed (CONFLICT).',
  })
  @ApiParam({ ...positiveIdParamDoc('id'), description: 'the posted transaction to reverse' })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: TransactionView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'LIMIT_EXCEEDED', 'INSUFFICIENT_FUNDS', 'IDEMPOTENCY_KEY_REUSED')
  async reverse(
    @PositiveIdParam('id') transactionId: number,
    @Body() body: ReverseTransactionDto,
    @Command() context: CommandContext,
  ): Promise<TransactionView> {
    const reversal = reversalRequest(transactionId, body);
    const { result } = await this.commands.send<TransactionReply>(context, `/finance/transactions/${transactionId}/reverse`, reversal, {
      type: 'ReverseTransaction',
      data: reversal,
    });
    return transactionView(result);
  }

  @RequiresScope('finance:read')
  @Get('balance/:user_id')
  @ApiOperation({ operationId: 'getBalance',
    summary: "A user's balances, one line per currency",
    description:
      'available = posted − pending_debit. An unknown user has zero balances: one line of zeros in the default ' +
      `currency (${DEFAULT_CURRENCY}). From the read ` +
      "models, after this app's own last write (read-your-writes); consistency=strong asks the ledger itself. " +
      'With at: the balances as they stood at that time (every change at or before it), from the balance history; ' +
      'the ledger keeps only the present, so at with consistency=strong is 400.',
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiOkResponse({ type: BalanceView })
  @ApiErrors('VALIDATION_FAILED')
  async balance(
    @UserIdParam('user_id') userId: string,
    @Query() query: BalanceQueryDto,
    @CurrentApp() app: AppCaller,
  ): Promise<BalanceView> {
    if (query.at !== undefined) return balanceView(await this.balanceAt(userId, query, app));
    const fromLedger = async () => {
      const ledgerQuery: LedgerQuery = { type: 'GetBalance', user_id: userId };
      return this.backend.request<BalanceReply>(PATTERNS.ledgerQueries, ledgerQuery, app);
    };
    const balance = await this.consistency.readOrStrong(app.app_id, query, () => this.reads.balance(realmOfApp(app.app_id), userId), fromLedger);
    return balanceView(withZeroBalance(balance));
  }

  /** A point in time is history, which only the read models keep: no strong read, no fallback to the ledger. */
  private async balanceAt(userId: string, query: BalanceQueryDto, app: AppCaller): Promise<BalanceReply> {
    if (query.consistency === 'strong') {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', {
        fields: { at: ['at reads the balance history in the read models: not with consistency=strong (min_position waits for a write)'] },
      });
    }
    await this.settled(app, query);
    return this.reads.balanceAt(realmOfApp(app.app_id), userId, validatedTime(query.at as string));
  }

  @RequiresScope('finance:read')
  @Get('statement/:user_id')
  @ApiOperation({ operationId: 'getStatement',
    summary: "A user's statement in one currency",
    description:
      'The posted balance just before from (opening_balance), every posted movement at or after from and before to ' +
      'in posted order with the posted balance after it (its running balance), and the posted balance at to ' +
      `(closing_balance). At most ${MAX_STATEMENT_MOVEMENTS} movements: a period with more is 422 LIMIT_EXCEEDED, ` +
      'whose details.split_at cuts it in two ([from, split_at) fits). format=csv answers text/csv with a header row, ' +
      'the opening balance first and the closing balance last. From the read models, after this app\'s own last write.',
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: StatementView, description: 'JSON, or with format=csv the same as CSV' })
  @ApiErrors('VALIDATION_FAILED', 'LIMIT_EXCEEDED')
  async statement(
    @UserIdParam('user_id') userId: string,
    @Query() query: StatementQueryDto,
    @CurrentApp() app: AppCaller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StatementView | string> {
    const from = query.from === undefined ? undefined : validatedTime(query.from);
    const to = query.to === undefined ? undefined : validatedTime(query.to);
    if (from && to && to < from) {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { to: ['to must not be before from'] } });
    }
    await this.settled(app, query);
    const period = { realm: realmOfApp(app.app_id), user_id: userId, currency: currencyOrDefault(query.currency), from, to };
    const view = statementView(period, await this.reads.statement(period, MAX_STATEMENT_MOVEMENTS));
    if (query.format !== 'csv') return view;
    void reply.header('content-type', 'text/csv; charset=utf-8');
    void reply.header('content-disposition', `attachment; filename="statement-${userId}-${view.currency}.csv"`);
    return statementCsv(view);
  }

  /** Waits for read-your-writes; a read only the read models can answer has nowhere else to go: 503. */
  private async settled(app: AppCaller, query: MinPositionQueryDto): Promise<void> {
    if (!(await this.consistency.settle(app.app_id, query))) {
      throw new ApiError('UNAVAILABLE', 'the read models are behind: retry shortly');
    }
  }

  @RequiresScope('finance:read')
  @Get('transactions')
  @ApiOperation({ operationId: 'listTransactions',
    summary: 'Transactions, newest first',
    description:
      "With user_id: that user's transactions across every app (the wallet is shared); without: the app's own. " +
      'Page with page (1-based; page × limit at most 10,000) or, stable under new writes and at any depth, with ' +
      'cursor = the previous next_cursor.',
  })
  @ApiOkResponse({ type: TransactionsPageView })
  @ApiErrors('VALIDATION_FAILED')
  async transactions(@Query() query: TransactionsQueryDto, @CurrentApp() app: AppCaller): Promise<TransactionsPageView> {
    if (query.page !== undefined && query.cursor !== undefined) {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', { fields: { cursor: ['use page or cursor, not both'] } });
    }
    const limit = query.limit ?? 10;
    if (query.page !== undefined && query.page * limit > MAX_OFFSET_PAGING_ROWS) {
      throw new ApiError('VALIDATION_FAILED', 'the request is not valid', {
        fields: { page: [`page × limit must be at most ${MAX_OFFSET_PAGING_ROWS}: page deeper with cursor (each page's next_cursor)`] },
      });
    }
    await this.settled(app, query);
    const page = await this.reads.transactions({
      realm: realmOfApp(app.app_id),
      app_id: app.app_id,
      user_id: query.user_id === undefined ? undefined : exactUserId(query.user_id),
      event_id: query.event_id,
      from: query.from === undefined ? undefined : validatedTime(query.from),
      to: query.to === undefined ? undefined : validatedTime(query.to),
      type: query.type,
      status: query.status,
      limit,
      page: query.page,
      before: query.cursor === undefined ? undefined : Number(query.cursor),
    });
    return { data: page.data.map(transactionView), next_cursor: page.next_cursor };
  }
}

/** A time the query DTO validated (IsTime): the same rule reads it, so both agree on the instant. */
function validatedTime(value: string): Date {
  const time = parseTime(value);
  if (time === null) throw new Error(`time ${value} reached a handler unvalidated`);
  return time;
}
