import { Body, Controller, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ClaimAllowance, TransactionReply } from '@coffer/contracts';
import { ClaimAllowanceDto, TransactionView } from '@coffer/contracts/http';
import { AppAuthGuard } from '../auth/app-auth.guard';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { exactUserId } from '../http/normalize';
import { CurrencyParam, currencyParamDoc } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { transactionView } from './views';

@ApiTags('finance')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('finance/allowances')
export class AllowancesController {
  constructor(@Inject(CommandSender) private readonly commands: CommandSender) {}

  @Post(':currency/claim')
  @ApiOperation({
    summary: "Claim a user's allowance of a currency",
    description:
      'A posted grant from the treasury, at most once per user per period (daily: from 00:00 UTC; weekly: ISO weeks, ' +
      'from Monday 00:00 UTC); again in the same period: 409 CONFLICT with details.next_claim_at. No allowance set: 404.',
  })
  @ApiParam(currencyParamDoc('currency'))
  @ApiIdempotent()
  @ApiCreatedResponse({ type: TransactionView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async claim(@CurrencyParam('currency') currency: string, @Body() body: ClaimAllowanceDto, @Command() context: CommandContext): Promise<TransactionView> {
    const claim: ClaimAllowance['data'] = { user_id: exactUserId(body.user_id), currency };
    const { result } = await this.commands.send<TransactionReply>(context, `/finance/allowances/${currency}/claim`, { user_id: claim.user_id }, {
      type: 'ClaimAllowance',
      data: claim,
    });
    return transactionView(result);
  }
}
