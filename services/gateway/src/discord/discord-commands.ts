/**
 * Runs the members' slash commands against the real system: reads from the read models (as the
 * REST API's reads do), writes as commands of the Discord app (COFFER_DISCORD_APP_KEY: a Coffer
 * app the operator registered and scoped), each with the interaction id as its Idempotency-Key,
 * so a redelivered interaction replays the first answer and never pays or claims twice.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DEFAULT_CURRENCY, DEFAULT_REALM, isCurrency, parseAmount, realmOfApp, type ClaimAllowance, type TransactionReply, type Transfer } from '@coffer/contracts';
import { CONFIG, type CofferConfig } from '@coffer/platform';
import { AchievementReads } from '../achievements/achievement-reads';
import { ApiKeyRegistry } from '../auth/api-key-registry';
import type { Caller } from '../backend/nats-request-client';
import { CommandSender, type CommandContext } from '../commands/command-sender';
import { FinanceReads } from '../finance/finance-reads';
import { ApiError } from '../http/api-error';
import { ReadConsistency } from '../reads/consistency';
import { badgesEmbed, balanceEmbed, claimedEmbed, ephemeral, grouped, leaderboardEmbed, paidEmbed, type InteractionResponse } from './answers';
import { integerOption, stringOption, userOption, type SlashCommand } from './interaction';

/** Members shown by /leaderboard. */
export const LEADERBOARD_SIZE = 10;
/** Achievements read for /badges (a page of the user achievements read model). */
const BADGES_READ = 100;

@Injectable()
export class DiscordCommands {
  constructor(
    @Inject(CONFIG) private readonly config: CofferConfig,
    @Inject(FinanceReads) private readonly finance: FinanceReads,
    @Inject(AchievementReads) private readonly achievements: AchievementReads,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(ApiKeyRegistry) private readonly registry: ApiKeyRegistry,
  ) {}

  /** The answer to one command; a refusal of the system is an ephemeral message, never an exception. */
  async run(command: SlashCommand, reply: FastifyReply): Promise<InteractionResponse> {
    try {
      switch (command.name) {
        case 'balance':
          return await this.balance(command);
        case 'pay':
          return await this.pay(command, reply);
        case 'badges':
          return await this.badges(command);
        case 'leaderboard':
          return await this.leaderboard(command);
        case 'daily':
          return await this.daily(command, reply);
      }
    } catch (error) {
      if (error instanceof ApiError) return ephemeral(refusalInWords(command, error));
      throw error;
    }
  }

  private async balance(command: SlashCommand): Promise<InteractionResponse> {
    const user = userOption(command, 'user');
    if (user === null) return ephemeral(BAD_OPTIONS);
    await this.settle();
    return balanceEmbed(await this.finance.balance(await this.realm(), user ?? command.invoker));
  }

  private async pay(command: SlashCommand, reply: FastifyReply): Promise<InteractionResponse> {
    const to = userOption(command, 'user');
    const rawAmount = integerOption(command, 'amount');
    const currency = this.currencyOf(command);
    if (to === null || to === undefined || rawAmount === null || rawAmount === undefined || currency === null) return ephemeral(BAD_OPTIONS);
    const amount = parseAmount(rawAmount);
    if (amount === null) return ephemeral('The amount must be a whole number of at least 1.');
    if (to === command.invoker) return ephemeral('You cannot pay yourself.');
    const transfer: Transfer['data'] = { from_user_id: command.invoker, to_user_id: to, amount: amount.toString(), currency, description: 'Discord /pay' };
    const context = await this.context(command, reply);
    if (typeof context === 'string') return ephemeral(context);
    const { result } = await this.commands.send<TransactionReply>(context, '/discord/interactions/pay', transfer, { type: 'Transfer', data: transfer });
    return paidEmbed(command.invoker, to, result.amount, result.currency, result.transaction_id);
  }

  private async badges(command: SlashCommand): Promise<InteractionResponse> {
    const user = userOption(command, 'user');
    if (user === null) return ephemeral(BAD_OPTIONS);
    const userId = user ?? command.invoker;
    await this.settle();
    const page = await this.achievements.ofUser(await this.realm(), userId, BADGES_READ);
    return badgesEmbed(userId, page.data, page.next_cursor !== null);
  }

  private async leaderboard(command: SlashCommand): Promise<InteractionResponse> {
    const currency = this.currencyOf(command);
    if (currency === null) return ephemeral(BAD_OPTIONS);
    await this.settle();
    return leaderboardEmbed(currency, await this.finance.balanceLeaderboard(await this.realm(), currency, LEADERBOARD_SIZE));
  }

  private async daily(command: SlashCommand, reply: FastifyReply): Promise<InteractionResponse> {
    const currency = this.currencyOf(command);
    if (currency === null) return ephemeral(BAD_OPTIONS);
    const context = await this.context(command, reply);
    if (typeof context === 'string') return ephemeral(context);
    const claim: ClaimAllowance['data'] = { user_id: command.invoker, currency };
    const { result } = await this.commands.send<TransactionReply>(context, `/discord/interactions/daily/${currency}`, { user_id: command.invoker }, { type: 'ClaimAllowance', data: claim });
    return claimedEmbed(command.invoker, result.amount, result.currency);
  }

  /** The currency option, or the default; null when it is not a currency. */
  private currencyOf(command: SlashCommand): string | null {
    const currency = stringOption(command, 'currency');
    if (currency === undefined) return DEFAULT_CURRENCY;
    return currency !== null && isCurrency(currency) ? currency : null;
  }

  /** The Discord app's command context, or why there is none (in words for the member). */
  private async context(command: SlashCommand, reply: FastifyReply): Promise<CommandContext | string> {
    const caller = await this.caller();
    if (typeof caller === 'string') return caller;
    return { method: 'POST', caller: { ...caller, correlation_id: reply.request.correlationId }, idempotencyKey: `discord:${command.id}`, reply };
  }

  /** The Discord app's identity, from its key: looked up each time, so a revoked key stops at once. */
  private async caller(): Promise<Caller | string> {
    const key = this.config.discord.appKey;
    if (key === undefined) return 'Payments and claims are not set up on this server yet (an operator sets COFFER_DISCORD_APP_KEY).';
    const owner = await this.registry.lookup(key);
    if (owner === null) return 'Coffer does not accept this server’s app key (unknown or revoked): ask an operator.';
    return { ...owner, app_scopes: this.registry.scopesOf(owner.app_id) };
  }

  /**
   * The server's realm: its Discord app's (COFFER_DISCORD_APP_KEY), whose commands go to that
   * realm's ledger; the default realm while no app key is set.
   */
  private async realm(): Promise<string> {
    if (this.config.discord.appKey === undefined) return DEFAULT_REALM;
    const caller = await this.caller();
    return typeof caller === 'string' || caller.app_id === null ? DEFAULT_REALM : realmOfApp(caller.app_id);
  }

  /** Reads after the Discord app's own writes (read-your-writes), as the REST reads do for an app. */
  private async settle(): Promise<void> {
    if (this.config.discord.appKey === undefined) return;
    const caller = await this.caller();
    if (typeof caller !== 'string' && caller.app_id !== null) await this.consistency.settle(caller.app_id, {});
  }
}

const BAD_OPTIONS = 'Coffer did not understand this command’s options: the commands may be out of date (an operator runs `npm run coffer -- discord register`).';

/** The system's refusal in plain words for the member. */
function refusalInWords(command: SlashCommand, error: ApiError): string {
  const details = error.details ?? {};
  const currency = typeof details.currency === 'string' ? details.currency : (stringOption(command, 'currency') ?? DEFAULT_CURRENCY);
  switch (error.code) {
    case 'INSUFFICIENT_FUNDS':
      return typeof details.available === 'string'
        ? `You don’t have enough ${currency}: you have ${grouped(details.available)} available.`
        : `You don’t have enough ${currency}.`;
    case 'CONFLICT':
      return typeof details.next_claim_at === 'string'
        ? `You already claimed your ${currency} allowance. You can claim again <t:${Math.floor(Date.parse(details.next_claim_at) / 1000)}:R>.`
        : `That cannot be done now: ${error.message}.`;
    case 'NOT_FOUND':
      return command.name === 'daily' ? `There is no allowance of ${currency} to claim.` : `Not found: ${error.message}.`;
    case 'FORBIDDEN':
      return `This server’s Coffer app may not do that (${error.message}): ask an operator.`;
    case 'LIMIT_EXCEEDED':
      return `That goes beyond a limit: ${error.message}.`;
    case 'VALIDATION_FAILED':
      return `That is not a valid request: ${error.message}.`;
    case 'UNAVAILABLE':
      return command.name === 'pay' || command.name === 'daily'
        ? 'Coffer is busy and did not confirm this in time: check /balance before trying again.'
        : 'Coffer is busy right now: try again in a moment.';
    default:
      return `Coffer refused: ${error.message}.`;
  }
}

