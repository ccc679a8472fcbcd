import { Body, Controller, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  MAX_WAITING_DEPOSITS_PER_USER,
  MAX_WAITING_WITHDRAWALS_PER_USER,
  referenceLast4,
  type DepositReply,
  type RequestDeposit,
  type RequestWithdrawal,
  type WithdrawalReply,
} from '@coffer/contracts';
import { DepositView, RequestDepositDto, RequestWithdrawalDto, WithdrawalView } from '@coffer/contracts/http';
import { AppAuthGuard } from '../auth/app-auth.guard';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { currencyOrDefault, exactAmount, exactUserId } from '../http/normalize';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ReferenceKey } from './reference-key';
import { depositView, withdrawalView } from './views';

/** An app asks for a withdrawal or reports a deposit; an operator decides it (admin-withdrawals.controller.ts). */
@ApiTags('withdrawals')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('finance')
export class WithdrawalsController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(ReferenceKey) private readonly referenceKey: ReferenceKey,
  ) {}

  @Post('withdrawals')
  @ApiOperation({ operationId: 'requestWithdrawal',
    summary: 'Ask to withdraw to a linked external account',
    description:
      'The amount is held at once (a pending transaction of type withdrawal: available drops now) until an operator ' +
      `accepts (posted to the external account) or declines (voided, funds back). At most ${MAX_WAITING_WITHDRAWALS_PER_USER} ` +
      'waiting per user (422 LIMIT_EXCEEDED).',
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: WithdrawalView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'IDEMPOTENCY_KEY_REUSED')
  async withdraw(@Body() body: RequestWithdrawalDto, @Command() context: CommandContext): Promise<WithdrawalView> {
    const request: RequestWithdrawal['data'] = {
      user_id: exactUserId(body.user_id),
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      external_account_id: body.external_account_id,
    };
    const { result } = await this.commands.send<WithdrawalReply>(context, '/finance/withdrawals', request, { type: 'RequestWithdrawal', data: request });
    return withdrawalView(result);
  }

  @Post('deposits')
  @ApiOperation({ operationId: 'requestDeposit',
    summary: 'Report a payment in from a linked external account',
    description:
      'Credited pending at once (a pending transaction of type deposit: not spendable) until an operator who checked ' +
      "the payment accepts (posted) or declines (voided) it. The payment's reference is kept as its last 4 characters " +
      'and a keyed hash: a payment is credited once (reported again while its deposit waits or once accepted: 409 CONFLICT ' +
      'with details.deposit_id; a declined deposit frees it). ' +
      `At most ${MAX_WAITING_DEPOSITS_PER_USER} waiting per user (422 LIMIT_EXCEEDED).`,
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: DepositView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'LIMIT_EXCEEDED', 'IDEMPOTENCY_KEY_REUSED')
  async deposit(@Body() body: RequestDepositDto, @Command() context: CommandContext): Promise<DepositView> {
    // The reference itself goes no further than here: its keyed hash (the request's hash too) and last 4.
    const { reference_hash } = await this.referenceKey.digest(body.reference);
    const request: RequestDeposit['data'] = {
      user_id: exactUserId(body.user_id),
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      external_account_id: body.external_account_id,
      reference_hash,
      reference_last4: referenceLast4(body.reference),
    };
    const { result } = await this.commands.send<DepositReply>(context, '/finance/deposits', { ...request, reference: reference_hash }, { type: 'RequestDeposit', data: request });
    return depositView(result);
  }
}
