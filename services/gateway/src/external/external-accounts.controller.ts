import { Body, Controller, Delete, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { MAX_EXTERNAL_ACCOUNTS_PER_USER, PATTERNS, type ExternalAccountReply, type ExternalAccountsReply, type LedgerQuery, type LinkExternalAccount } from '@coffer/contracts';
import { ExternalAccountListView, ExternalAccountView, LinkExternalAccountDto } from '@coffer/contracts/http';
import { AppAuthGuard, RequiresScope } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { PositiveIdParam, positiveIdParamDoc, UserIdParam, userIdParamDoc } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ReferenceKey } from './reference-key';
import { externalAccountView } from './views';

/**
 * A user's external accounts (where withdrawals go and deposits come from). The reference is
 * turned into its last 4 characters and its keyed hash here (reference-key.ts): nothing after
 * this controller sees it, the Idempotency-Key's request hash included.
 */
@ApiTags('withdrawals')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('users/:user_id/external-accounts')
export class ExternalAccountsController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(ReferenceKey) private readonly referenceKey: ReferenceKey,
  ) {}

  @Post()
  @ApiOperation({ operationId: 'linkExternalAccount',
    summary: 'Link an external account to a user',
    description:
      `The reference is kept only as its last 4 characters and an HMAC-SHA256 under the deployment's key. At most ` +
      `${MAX_EXTERNAL_ACCOUNTS_PER_USER} linked per user (422 LIMIT_EXCEEDED); the same reference twice is 409 CONFLICT ` +
      '(details.external_account_id names the one linked).',
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiIdempotent()
  @ApiCreatedResponse({ type: ExternalAccountView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'CONFLICT', 'LIMIT_EXCEEDED', 'IDEMPOTENCY_KEY_REUSED')
  async link(@UserIdParam('user_id') userId: string, @Body() body: LinkExternalAccountDto, @Command() context: CommandContext): Promise<ExternalAccountView> {
    const digest = await this.referenceKey.digest(body.reference);
    const link: LinkExternalAccount['data'] = { user_id: userId, kind: body.kind, label: body.label, ...digest };
    // The request's hash is over the keyed hash, not the reference: the same link again is still the same request.
    const hashed = { kind: body.kind, label: body.label, reference: digest.reference_hash };
    const { result } = await this.commands.send<ExternalAccountReply>(context, `/users/${userId}/external-accounts`, hashed, { type: 'LinkExternalAccount', data: link });
    return externalAccountView(result);
  }

  // A read the ledger answers without deciding: the gateway holds it to the scope of the commands it lists.
  @RequiresScope('withdrawals')
  @Get()
  @ApiOperation({ operationId: 'listExternalAccounts', summary: "A user's linked external accounts", description: 'Oldest first; from the ledger itself (never behind).' })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiOkResponse({ type: ExternalAccountListView })
  @ApiErrors('VALIDATION_FAILED')
  async list(@UserIdParam('user_id') userId: string, @CurrentApp() app: AppCaller): Promise<ExternalAccountListView> {
    const query: LedgerQuery = { type: 'ListExternalAccounts', user_id: userId };
    const reply = await this.backend.request<ExternalAccountsReply>(PATTERNS.ledgerQueries, query, app);
    return { user_id: userId, data: reply.data.map(externalAccountView) };
  }

  @Delete(':external_account_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'unlinkExternalAccount',
    summary: 'Unlink an external account',
    description: 'Refused (409 CONFLICT) while a withdrawal or deposit of it waits for verification: decide that first.',
  })
  @ApiParam(userIdParamDoc('user_id'))
  @ApiParam(positiveIdParamDoc('external_account_id'))
  @ApiNoContentResponse({ description: 'unlinked' })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED')
  async unlink(
    @UserIdParam('user_id') userId: string,
    @PositiveIdParam('external_account_id') externalAccountId: number,
    @Command() context: CommandContext,
  ): Promise<void> {
    await this.commands.send(context, `/users/${userId}/external-accounts/${externalAccountId}`, null, {
      type: 'UnlinkExternalAccount',
      data: { user_id: userId, external_account_id: externalAccountId },
    });
  }
}
