import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import { DEFAULT_REALM, type DepositReply, type WithdrawalReply } from '@coffer/contracts';
import {
  DeclineDto,
  DepositListView,
  DepositView,
  MAX_LIST_LIMIT,
  RealmQueryDto,
  VerificationListQueryDto,
  WithdrawalListView,
  WithdrawalView,
} from '@coffer/contracts/http';
import { listDeposits, listWithdrawals, type Queryable, type VerificationFilter } from '@coffer/read-models';
import { realmPath } from '../admin/realm-path';
import { AdminGuard } from '../auth/admin.guard';
import { AdminRoles } from '../auth/admin-roles';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiError } from '../http/api-error';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { PositiveIdParam, positiveIdParamDoc } from '../http/path-params';
import { ReadConsistency } from '../reads/consistency';
import { readModelDb } from '../reads/read-model-db';
import { DB_POOL } from '../tokens';
import { depositView, withdrawalView } from './views';

const DECIDED_ONCE = 'Each is decided once: accepting or declining one decided already is 409 CONFLICT.';

/**
 * The operators' side of withdrawals and deposits: the queue of waiting ones and their decisions.
 * Every role reads the queue; operators and admins decide it (admin-roles.ts).
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE')
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminWithdrawalsController {
  private readonly db: Queryable;

  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
    @Inject(DB_POOL) pool: Pool,
  ) {
    this.db = readModelDb(pool);
  }

  @Post('withdrawals/:withdrawal_id/accept')
  @HttpCode(200)
  @AdminRoles('operator') // operators decide the queue; auditors only read it
  @ApiOperation({ operationId: 'acceptWithdrawal', summary: 'Accept a waiting withdrawal', description: `Its held amount posts to the external account. ${DECIDED_ONCE}` })
  @ApiParam(positiveIdParamDoc('withdrawal_id'))
  @ApiIdempotent()
  @ApiOkResponse({ type: WithdrawalView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async acceptWithdrawal(@PositiveIdParam('withdrawal_id') id: number, @Query() where: RealmQueryDto, @Command() context: CommandContext): Promise<WithdrawalView> {
    const { result } = await this.commands.send<WithdrawalReply>(
      context,
      realmPath(`/admin/withdrawals/${id}/accept`, where),
      null,
      { type: 'AcceptWithdrawal', data: { withdrawal_id: id } },
      where.realm,
    );
    return withdrawalView(result);
  }

  @Post('withdrawals/:withdrawal_id/decline')
  @HttpCode(200)
  @AdminRoles('operator') // operators decide the queue; auditors only read it
  @ApiOperation({ operationId: 'declineWithdrawal', summary: 'Decline a waiting withdrawal', description: `Its held amount is voided: the funds are back. ${DECIDED_ONCE}` })
  @ApiParam(positiveIdParamDoc('withdrawal_id'))
  @ApiIdempotent()
  @ApiOkResponse({ type: WithdrawalView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async declineWithdrawal(
    @PositiveIdParam('withdrawal_id') id: number,
    @Body() body: DeclineDto,
    @Query() where: RealmQueryDto,
    @Command() context: CommandContext,
  ): Promise<WithdrawalView> {
    const data = { withdrawal_id: id, reason: body.reason };
    const { result } = await this.commands.send<WithdrawalReply>(
      context,
      realmPath(`/admin/withdrawals/${id}/decline`, where),
      { reason: body.reason },
      { type: 'DeclineWithdrawal', data },
      where.realm,
    );
    return withdrawalView(result);
  }

  @Get('withdrawals')
  @ApiOperation({ operationId: 'listWithdrawals', summary: 'Withdrawals, oldest first', description: 'By status (waiting_for_verification: the queue); from the read models.' })
  @ApiOkResponse({ type: WithdrawalListView })
  @ApiErrors('VALIDATION_FAILED')
  async listWithdrawals(@Query() query: VerificationListQueryDto): Promise<WithdrawalListView> {
    const page = await listWithdrawals(this.db, await this.filter(query));
    return { data: page.data.map(withdrawalView), next_cursor: page.next_cursor };
  }

  @Post('deposits/:deposit_id/accept')
  @HttpCode(200)
  @AdminRoles('operator') // operators decide the queue; auditors only read it
  @ApiOperation({ operationId: 'acceptDeposit', summary: 'Accept a waiting deposit', description: `Its pending credit posts: the amount is spendable. ${DECIDED_ONCE}` })
  @ApiParam(positiveIdParamDoc('deposit_id'))
  @ApiIdempotent()
  @ApiOkResponse({ type: DepositView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async acceptDeposit(@PositiveIdParam('deposit_id') id: number, @Query() where: RealmQueryDto, @Command() context: CommandContext): Promise<DepositView> {
    const { result } = await this.commands.send<DepositReply>(
      context,
      realmPath(`/admin/deposits/${id}/accept`, where),
      null,
      { type: 'AcceptDeposit', data: { deposit_id: id } },
      where.realm,
    );
    return depositView(result);
  }

  @Post('deposits/:deposit_id/decline')
  @HttpCode(200)
  @AdminRoles('operator') // operators decide the queue; auditors only read it
  @ApiOperation({ operationId: 'declineDeposit', summary: 'Decline a waiting deposit', description: `Its pending credit is voided: nothing was credited. ${DECIDED_ONCE}` })
  @ApiParam(positiveIdParamDoc('deposit_id'))
  @ApiIdempotent()
  @ApiOkResponse({ type: DepositView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async declineDeposit(
    @PositiveIdParam('deposit_id') id: number,
    @Body() body: DeclineDto,
    @Query() where: RealmQueryDto,
    @Command() context: CommandContext,
  ): Promise<DepositView> {
    const data = { deposit_id: id, reason: body.reason };
    const { result } = await this.commands.send<DepositReply>(
      context,
      realmPath(`/admin/deposits/${id}/decline`, where),
      { reason: body.reason },
      { type: 'DeclineDeposit', data },
      where.realm,
    );
    return depositView(result);
  }

  @Get('deposits')
  @ApiOperation({ operationId: 'listDeposits', summary: 'Deposits, oldest first', description: 'By status (waiting_for_verification: the queue); from the read models.' })
  @ApiOkResponse({ type: DepositListView })
  @ApiErrors('VALIDATION_FAILED')
  async listDeposits(@Query() query: VerificationListQueryDto): Promise<DepositListView> {
    const page = await listDeposits(this.db, await this.filter(query));
    return { data: page.data.map(depositView), next_cursor: page.next_cursor };
  }

  /** Waits for min_position when asked (the admin has no app whose writes the gateway follows). */
  private async filter(query: VerificationListQueryDto): Promise<VerificationFilter> {
    if (!(await this.consistency.settle('', query))) throw new ApiError('UNAVAILABLE', 'the read models are behind: retry shortly');
    return {
      realm: query.realm ?? DEFAULT_REALM,
      status: query.status,
      limit: query.limit ?? MAX_LIST_LIMIT,
      after: query.cursor === undefined ? undefined : Number(query.cursor),
    };
  }
}
