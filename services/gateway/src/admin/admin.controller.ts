import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
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
  DEFAULT_REALM,
  PATTERNS,
  realmOfApp,
  type AllowanceReply,
  type AppReply,
  type AppSettingsPatch,
  type AppSettingsReply,
  type AppsReply,
  type Grant,
  type SetAllowance,
  type KeyReply,
  type LedgerQuery,
  type TransactionReply,
} from '@coffer/contracts';
import {
  AllowanceView,
  ApiKeyCreated,
  AppCreated,
  AppList,
  AppListQueryDto,
  AppSettingsView,
  CreateAppDto,
  GrantDto,
  MAX_LIST_LIMIT,
  RealmQueryDto,
  ReverseTransactionDto,
  SetAllowanceDto,
  TransactionView,
  UpdateAppDto,
} from '@coffer/contracts/http';
import { AdminGuard } from '../auth/admin.guard';
import { ApiKeyRegistry } from '../auth/api-key-registry';
import { generateApiKey, generateKeyId, sha256Hex } from '../auth/api-keys';
import { ADMIN_CALLER } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { currencyOrDefault, descriptionOrNull, exactAmount, exactUserId } from '../http/normalize';
import { CurrencyParam, currencyParamDoc, OpaqueIdParam, opaqueIdParamDoc, PositiveIdParam, positiveIdParamDoc } from '../http/path-params';
import { reversalRequest } from '../finance/reversal-request';
import { transactionView } from '../finance/views';
import { realmPath } from './realm-path';
import { appListView, appWithSettingsView } from './views';

/** A fresh key: the ledger sees only its id and hash, the operator sees the key once. */
function newKey(): { apiKey: string; keyId: string; keyHash: string } {
  const apiKey = generateApiKey();
  return { apiKey, keyId: generateKeyId(), keyHash: sha256Hex(apiKey) };
}

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE')
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
    const realm = body.realm ?? DEFAULT_REALM;
    // The realm is part of what was asked (the same key for another realm is another request),
    // but left out of the default realm's hash, so keys used before realms replay as they did.
    const asked = realm === DEFAULT_REALM ? { name: body.name } : { name: body.name, realm };
    const { result, replayed } = await this.commands.send<AppReply>(
      context,
      '/admin/apps',
      asked,
      { type: 'RegisterApp', data: { name: body.name, key_id: key.keyId, key_hash: key.keyHash } },
      realm,
    );
    const apiKey = this.acceptIssuedKey(result.app_id, key, result.key_id, replayed);
    return { app_id: result.app_id, realm: realmOfApp(result.app_id), name: result.name, api_key: apiKey, key_id: result.key_id, created_at: result.created_at };
  }

  @Get('apps')
  @ApiOperation({ operationId: 'listApps', summary: 'List the registered apps and their keys', description: 'In the order they were registered, a page at a time.' })
  @ApiOkResponse({ type: AppList })
  @ApiErrors('VALIDATION_FAILED')
  async listApps(@Query() page: AppListQueryDto): Promise<AppList> {
    const query: LedgerQuery = { type: 'ListApps', after: page.cursor, limit: page.limit ?? MAX_LIST_LIMIT };
    const realm = page.realm ?? DEFAULT_REALM;
    return appListView(await this.backend.request<AppsReply>(PATTERNS.ledgerQueries, query, ADMIN_CALLER, undefined, undefined, realm));
  }

  @Patch('apps/:app_id')
  @ApiOperation({
    summary: "Change what an app may do: its scopes, currencies and daily mint limits",
    description:
      'A field left out keeps its setting; null puts back a new app\'s (every scope, every currency, no limit); ' +
      'mint_limit_per_day replaces the whole map. The ledger enforces them on every command of the app.',
  })
  @ApiParam(opaqueIdParamDoc('app_id'))
  @ApiOkResponse({ type: AppSettingsView })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async updateApp(@OpaqueIdParam('app_id') appId: string, @Body() body: UpdateAppDto, @Command() context: CommandContext): Promise<AppSettingsView> {
    const patch: AppSettingsPatch = { app_id: appId };
    if (body.scopes !== undefined) patch.scopes = body.scopes;
    if (body.currencies !== undefined) patch.currencies = body.currencies;
    if (body.mint_limit_per_day !== undefined) {
      patch.mint_limit_per_day =
        body.mint_limit_per_day === null
          ? null
          : Object.fromEntries(Object.entries(body.mint_limit_per_day).map(([currency, amount]) => [currency, exactAmount(amount)]));
    }
    const { result } = await this.commands.send<AppSettingsReply>(
      context,
      `/admin/apps/${appId}`,
      patch,
      { type: 'ChangeAppSettings', data: patch },
      realmOfApp(appId),
    );
    // This gateway refuses what the app lost at once; the others within the key subscription's tens of milliseconds.
    this.registry.rememberScopes(result.app_id, result.scopes);
    return appWithSettingsView(result);
  }

  @Put('allowances/:currency')
  @ApiOperation({
    summary: 'Set the allowance of a currency',
    description: 'What a user may claim from the treasury once per period (daily: from 00:00 UTC; weekly: from Monday 00:00 UTC).',
  })
  @ApiParam(currencyParamDoc('currency'))
  @ApiOkResponse({ type: AllowanceView })
  @ApiErrors('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED')
  async setAllowance(
    @CurrencyParam('currency') currency: string,
    @Body() body: SetAllowanceDto,
    @Query() where: RealmQueryDto,
    @Command() context: CommandContext,
  ): Promise<AllowanceView> {
    const allowance: SetAllowance['data'] = { currency, amount: exactAmount(body.amount), period: body.period };
    const { result } = await this.commands.send<AllowanceReply>(
      context,
      realmPath(`/admin/allowances/${currency}`, where),
      allowance,
      { type: 'SetAllowance', data: allowance },
      where.realm,
    );
    return { currency: result.currency, amount: result.amount, period: result.period, updated_at: result.updated_at };
  }

  @Delete('allowances/:currency')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the allowance of a currency', description: 'It can no longer be claimed (until set again).' })
  @ApiParam(currencyParamDoc('currency'))
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async removeAllowance(@CurrencyParam('currency') currency: string, @Query() where: RealmQueryDto, @Command() context: CommandContext): Promise<void> {
    await this.commands.send<undefined>(
      context,
      realmPath(`/admin/allowances/${currency}`, where),
      null,
      { type: 'RemoveAllowance', data: { currency } },
      where.realm,
    );
  }

  @Post('apps/:app_id/keys')
  @ApiOperation({ operationId: 'issueApiKey', summary: "Issue another API key for an app (rotation: issue, deploy, revoke the old one)" })
  @ApiParam(opaqueIdParamDoc('app_id'))
  @ApiIdempotent()
  @ApiCreatedResponse({ type: ApiKeyCreated, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED')
  async issueKey(@OpaqueIdParam('app_id') appId: string, @Command() context: CommandContext): Promise<ApiKeyCreated> {
    const key = newKey();
    const { result, replayed } = await this.commands.send<KeyReply>(
      context,
      `/admin/apps/${appId}/keys`,
      null,
      { type: 'IssueApiKey', data: { app_id: appId, key_id: key.keyId, key_hash: key.keyHash } },
      realmOfApp(appId),
    );
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
    await this.commands.send<KeyReply>(
      context,
      `/admin/apps/${appId}/keys/${keyId}`,
      null,
      { type: 'RevokeApiKey', data: { app_id: appId, key_id: keyId } },
      realmOfApp(appId),
    );
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
  async grant(@Body() body: GrantDto, @Query() where: RealmQueryDto, @Command() context: CommandContext): Promise<TransactionView> {
    const grant: Grant['data'] = {
      user_id: exactUserId(body.user_id),
      amount: exactAmount(body.amount),
      currency: currencyOrDefault(body.currency),
      description: descriptionOrNull(body.description),
    };
    const { result } = await this.commands.send<TransactionReply>(context, realmPath('/admin/grants', where), grant, { type: 'Grant', data: grant }, where.realm);
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
    @Query() where: RealmQueryDto,
    @Command() context: CommandContext,
  ): Promise<TransactionView> {
    const reversal = reversalRequest(transactionId, body);
    const { result } = await this.commands.send<TransactionReply>(
      context,
      realmPath(`/admin/transactions/${transactionId}/reverse`, where),
      reversal,
      { type: 'ReverseTransaction', data: reversal },
      where.realm,
    );
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
