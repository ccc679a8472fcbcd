/**
 * The Discord integration's settings (README, "Discord"): each part works on its own. The
 * interactions endpoint needs the public key; /pay and /daily also need the app key; command
 * registration needs the application id and bot token; role grants need the bot token and guild.
 * A part whose settings are missing is off, and says so, rather than failing the service.
 */
import { CURRENCY_PATTERN, DEFAULT_CURRENCY } from '@coffer/contracts';

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api/v10';

export interface DiscordConfig {
  /** COFFER_DISCORD_PUBLIC_KEY: the application's Ed25519 public key (64 hex digits) that signs interactions. */
  publicKey: string | undefined;
  /** COFFER_DISCORD_APP_KEY: the API key of the Coffer app whose identity the members' commands carry. */
  appKey: string | undefined;
  /** COFFER_DISCORD_APP_ID: the Discord application's id (a snowflake). */
  applicationId: string | undefined;
  /** COFFER_DISCORD_BOT_TOKEN: the bot's token (REST calls: command registration, roles). */
  botToken: string | undefined;
  /** COFFER_DISCORD_GUILD_ID: the server whose members get badge roles. */
  guildId: string | undefined;
  /** COFFER_DISCORD_API_URL: Discord's REST API base. */
  apiUrl: string;
  /** COFFER_DISCORD_CURRENCIES: the currencies offered as choices in the commands, the default currency first. */
  currencies: string[];
  /** COFFER_DISCORD_DEFER_AFTER_MS: a command not answered by then is deferred (Discord waits 3 s). */
  deferAfterMs: number;
}

const SNOWFLAKE = /^\d{1,20}$/;
const CURRENCY = CURRENCY_PATTERN;

/** Reads the variables; a problem is pushed (naming the variable, never echoing a secret) and the part left off. */
export function readDiscordConfig(env: Record<string, string | undefined>, problems: string[]): DiscordConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const checked = (name: string, test: (raw: string) => boolean, rule: string, shown: boolean): string | undefined => {
    const raw = value(name);
    if (raw === undefined || test(raw)) return raw;
    problems.push(`${name} must be ${rule}${shown ? ` (got ${JSON.stringify(raw)})` : ''}`);
    return undefined;
  };
  const apiUrl = checked('COFFER_DISCORD_API_URL', isHttpUrl, 'an http:// or https:// URL', true) ?? DEFAULT_DISCORD_API_URL;
  const currencies = (value('COFFER_DISCORD_CURRENCIES') ?? DEFAULT_CURRENCY).split(',').map((currency) => currency.trim());
  if (!currencies.every((currency) => CURRENCY.test(currency)) || currencies.length > 25) {
    problems.push('COFFER_DISCORD_CURRENCIES must be 1-25 comma-separated currency codes (Discord allows 25 choices)');
  }
  const deferRaw = value('COFFER_DISCORD_DEFER_AFTER_MS') ?? '2000';
  const deferAfterMs = /^\d{1,4}$/.test(deferRaw) && Number(deferRaw) <= 2500 ? Number(deferRaw) : 2000;
  if (deferAfterMs !== Number(deferRaw)) problems.push(`COFFER_DISCORD_DEFER_AFTER_MS must be an integer from 0 to 2500 (got ${JSON.stringify(deferRaw)})`);
  return {
    deferAfterMs,
    publicKey: checked('COFFER_DISCORD_PUBLIC_KEY', (raw) => /^[0-9a-fA-F]{64}$/.test(raw), '64 hex digits (the Developer Portal\'s "Public Key")', true),
    appKey: checked('COFFER_DISCORD_APP_KEY', (raw) => /^ck_[A-Za-z0-9_-]{43}$/.test(raw), 'an API key (ck_…) of POST /admin/apps', false),
    applicationId: checked('COFFER_DISCORD_APP_ID', (raw) => SNOWFLAKE.test(raw), 'a Discord snowflake (digits)', true),
    botToken: checked('COFFER_DISCORD_BOT_TOKEN', (raw) => /^[A-Za-z0-9._-]{20,200}$/.test(raw), 'a bot token (the Developer Portal\'s Bot page)', false),
    guildId: checked('COFFER_DISCORD_GUILD_ID', (raw) => SNOWFLAKE.test(raw), 'a Discord snowflake (digits)', true),
    apiUrl: apiUrl.replace(/\/+$/, ''),
    currencies: [...new Set([DEFAULT_CURRENCY, ...currencies].filter((currency) => CURRENCY.test(currency)))].slice(0, 25),
  };
}

function isHttpUrl(raw: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}
