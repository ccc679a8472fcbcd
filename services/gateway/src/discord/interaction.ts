/**
 * What Coffer reads of a Discord interaction (https://discord.com/developers/docs/interactions/receiving-and-responding),
 * after its signature was checked. Pure: anything of an unexpected shape becomes `unsupported`
 * (a polite ephemeral answer), never an exception. Snowflakes are strings in Discord's JSON and
 * are kept as the exact text they came as.
 */
import { DISCORD_COMMAND_NAMES, DISCORD_OPTION, parseUserId, type DiscordCommandName } from '@coffer/contracts';

export const INTERACTION_TYPE = { PING: 1, APPLICATION_COMMAND: 2 } as const;
const SNOWFLAKE = /^\d{1,20}$/;
/** A real command has at most three options; more is not Discord's. */
const MAX_OPTIONS = 10;

export interface CommandOption {
  type: number;
  value: unknown;
}

export interface SlashCommand {
  kind: 'command';
  /** The interaction's id: the idempotency key of what the command writes. */
  id: string;
  applicationId: string;
  /** The interaction's token: its follow-up webhook, for 15 minutes. */
  token: string;
  name: DiscordCommandName;
  /** The invoking member's (or DM user's) snowflake: the Coffer user_id. */
  invoker: string;
  options: ReadonlyMap<string, CommandOption>;
}

export type Interaction =
  | { kind: 'ping' }
  | SlashCommand
  | { kind: 'unsupported'; why: string };

export function readInteraction(body: unknown): Interaction {
  if (!isObject(body)) return unsupported('the interaction is not a JSON object');
  if (body.type === INTERACTION_TYPE.PING) return { kind: 'ping' };
  if (body.type !== INTERACTION_TYPE.APPLICATION_COMMAND) return unsupported(`interactions of type ${String(body.type)} are not supported`);
  const { id, application_id: applicationId, token, data } = body;
  if (!isSnowflake(id) || !isSnowflake(applicationId) || typeof token !== 'string' || token.length === 0 || token.length > 500) {
    return unsupported('the interaction lacks its id, application id or token');
  }
  const member = isObject(body.member) ? body.member.user : body.user;
  const invoker = isObject(member) ? member.id : undefined;
  if (!isSnowflake(invoker)) return unsupported('the interaction does not say who invoked it');
  if (!isObject(data) || typeof data.name !== 'string') return unsupported('the interaction names no command');
  if (!(DISCORD_COMMAND_NAMES as readonly string[]).includes(data.name)) return unsupported(`Coffer has no /${data.name.slice(0, 32)} command`);
  const options = new Map<string, CommandOption>();
  const given = data.options ?? [];
  if (!Array.isArray(given) || given.length > MAX_OPTIONS) return unsupported('the command’s options are not understood');
  for (const option of given) {
    if (!isObject(option) || typeof option.name !== 'string' || typeof option.type !== 'number') return unsupported('the command’s options are not understood');
    options.set(option.name, { type: option.type, value: option.value });
  }
  return { kind: 'command', id, applicationId, token, name: data.name as DiscordCommandName, invoker, options };
}

/** A USER option's member id; undefined when the option is absent; null when it is not a member id. */
export function userOption(command: SlashCommand, name: string): string | undefined | null {
  const option = command.options.get(name);
  if (option === undefined) return undefined;
  return option.type === DISCORD_OPTION.USER && isSnowflake(option.value) ? parseUserId(option.value) : null;
}

/** A STRING option's value; undefined when absent; null when of another type. */
export function stringOption(command: SlashCommand, name: string): string | undefined | null {
  const option = command.options.get(name);
  if (option === undefined) return undefined;
  return option.type === DISCORD_OPTION.STRING && typeof option.value === 'string' ? option.value : null;
}

/** An INTEGER option, as sent (a number, or the lossless parser's digit string beyond 2^53); null when of another type. */
export function integerOption(command: SlashCommand, name: string): string | number | undefined | null {
  const option = command.options.get(name);
  if (option === undefined) return undefined;
  if (option.type !== DISCORD_OPTION.INTEGER) return null;
  return typeof option.value === 'number' || (typeof option.value === 'string' && /^\d+$/.test(option.value)) ? option.value : null;
}

function unsupported(why: string): Interaction {
  return { kind: 'unsupported', why };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSnowflake(value: unknown): value is string {
  return typeof value === 'string' && SNOWFLAKE.test(value);
}
