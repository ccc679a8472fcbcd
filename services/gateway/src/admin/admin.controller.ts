import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  PATTERNS,
  type AppReply,
  type AppsReply,
  type Grant,
  type KeyReply,
  type LedgerQuery,
  type TransactionReply,
} from '@coffer/contracts';
import {
  ApiKeyCreated,
  AppCreated,
  AppList,
  AppListQueryDto,
  CreateAppDto,
  GrantDto,
  MAX_LIST_LIMIT,
  ReverseTransactionDto,
  TransactionView,
} from '@coffer/contracts/http';
import { AdminGuard } from '../auth/admin.guard';
import { ApiKeyRegistry } from '../auth/api-key-registry';
import { generateApiKey, generateKeyId, sha256Hex } from '../auth/api-keys';
import { ADMIN_CALLER } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { currencyOrDefault, descriptionOrNull, exactAmount, exactUserId } from '../http/normalize';
import { OpaqueIdParam, opaqueIdParamDoc, PositiveIdParam, positiveIdParamDoc } from '../http/path-params';
import { reversalRequest } from '../finance/reversal-request';
import { transactionView } from '../finance/views';
import { appListView } from './views';

/** A fresh key: the ledger sees only its id and hash, the operator sees the key once. */
function newKey(): { apiKey: string; keyId: string; keyHash: string } {
  const apiKey = generateApiKey();
  return { apiKey, keyId: generateKeyId(), keyHash: sha256Hex(apiKey) };
}

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'UNAVAILABLE')
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(ApiKeyRegistry) private readonly registry: ApiKeyRegistry,
  ) {}

  @Post('apps')
  @ApiOperation({ operationId: 'createApp', summary: 'Register a game or app', description: 'Answers its first API key, shown only this once.' })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: AppCreated, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED')
  async createApp(@Body() body: CreateAppDto, @Command() context: CommandContext): Promise<AppCreated> {
    const key = newKey();
    const { result, replayed } = await this.commands.send<AppReply>(
      context,
      '/admin/apps',
      { name: body.name },
      { type: 'RegisterApp', data: { name: body.name, key_id: key.keyId, key_hash: key.keyHash } },
    );
    const apiKey = this.acceptIssuedKey(result.app_id, key, result.key_id, replayed);
    return { app_id: result.app_id, name: result.name, api_key: apiKey, key_id: result.key_id, created_at: result.created_at };
  }

  @Get('apps')
  @ApiOperation({ operationId: 'listApps', summary: 'List the registered apps and their keys', description: 'In the order they were registered, a page at a time.' })
  @ApiOkResponse({ type: AppList })
  @ApiErrors('VALIDATION_FAILED')
  async listApps(@Query() page: AppListQueryDto): Promise<AppList> {
    const query: LedgerQuery = { type: 'ListApps', after: page.cursor, limit: page.limit ?? MAX_LIST_LIMIT };
    return appListView(await this.backend.request<AppsReply>(PATTERNS.ledgerQueries, query, ADMIN_CALLER));
  }

  @Post('apps/:app_id/keys')
  @ApiOperation({ operationId: 'issueApiKey', summary: "Issue another API key for an app (rotation: issue, deploy, revoke the old one)" })
  @ApiParam(opaqueIdParamDoc('app_id'))
  @ApiIdempotent()
  @ApiCreatedResponse({ type: ApiKeyCreated, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async issueKey(@OpaqueIdParam('app_id') appId: string, @Command() context: CommandContext): Promise<ApiKeyCreated> {
    const key = newKey();
    const { result, replayed } = await this.commands.send<KeyReply>(context, `/admin/apps/${appId}/keys`, null, {
      type: 'IssueApiKey',
      data: { app_id: appId, key_id: key.keyId, key_hash: key.keyHash },
    });
    const keyId = result.key_id ?? key.keyId;
    return { key_id: keyId, api_key: this.acceptIssuedKey(appId, key, keyId, replayed) };
  }

  @Delete('apps/:app_id/keys/:key_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an API key', description: 'Every gateway refuses the key from then on.' })
  @ApiParam(opaqueIdParamDoc('app_id'))
  @ApiParam(opaqueIdParamDoc('key_id'))
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async revokeKey(
    @OpaqueIdParam('app_id') appId: string,
    @OpaqueIdParam('key_id') keyId: string,
    @Command() context: CommandContext,
  ): Promise<void> {
    await this.commands.send<KeyReply>(context, `/admin/apps/${appId}/keys/${keyId}`, null, {
      type: 'RevokeApiKey',
      data: { app_id: appId, key_id: keyId },
    });
    this.registry.forget(keyId);
  }

  @Post('grants')
  @ApiOperation({ operationId: 'postGrant',
    summary: 'Grant funds to a user from the treasury',
    description: 'Funds that come from outside the games (rewards, purchases): posted at once.',
  })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: TransactionView, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED')
  async grant(@Body() body: GrantDto, @Command() context: CommandContext): Promise<TransactionView> {
    const grant: Grant['data'] = {
      user_id: exactUserId(body.user_id),
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      description: descriptionOrNull(body.description),
    };
    const { result } = await this.commands.send<TransactionReply>(context, '/admin/grants', grant, { type: 'Grant', data: grant });
    return transactionView(result);
  }

  @Post('transactions/:id/reverse')
  @ApiOperation({
    summary: "Reverse any app's posted transaction (or a grant), in part or whole",
    description:
      'As POST /finance/transactions/:id/reverse, for any posted transaction: the reversal belongs to the original\'s app ' +
      '(none for a grant).',
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
    const { result } = await this.commands.send<TransactionReply>(context, `/admin/transactions/${transactionId}/reverse`, reversal, {
      type: 'ReverseTransaction',
      data: reversal,
    });
    return transactionView(result);
  }

  /**
   * The key this request generated is live unless the ledger answered an earlier request's
   * result (a replayed Idempotency-Key): that key was shown once already and cannot be again.
   */
  private acceptIssuedKey(
    appId: string,
    key: { apiKey: string; keyId: string; keyHash: string },
    answeredKeyId: string,
    replayed: boolean,
  ): string | null {
    if (replayed || answeredKeyId !== key.keyId) return null;
    this.registry.remember({ app_id: appId, key_id: key.keyId, key_hash: key.keyHash });
    return key.apiKey;
  }
}
