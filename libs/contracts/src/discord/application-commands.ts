/**
 * The slash commands Coffer answers at POST /discord/interactions, as Discord's "Create
 * Application Command" JSON (https://discord.com/developers/docs/interactions/application-commands).
 * One definition serves both sides: `npm run coffer -- discord commands` prints it, `… register`
 * PUTs it, and the gateway reads options by these names and types.
 */

/** Discord's application command option types that Coffer's commands use. */
export const DISCORD_OPTION = { STRING: 3, INTEGER: 4, USER: 6 } as const;
/** Discord's largest safe integer for an INTEGER option (its clients cannot send more). */
export const DISCORD_MAX_INTEGER = 2 ** 53 - 1;

export const DISCORD_COMMAND_NAMES = ['balance', 'pay', 'badges', 'leaderboard', 'daily'] as const;
export type DiscordCommandName = (typeof DISCORD_COMMAND_NAMES)[number];

export interface DiscordCommandOption {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  min_value?: number;
  max_value?: number;
  choices?: Array<{ name: string; value: string }>;
}

export interface DiscordApplicationCommand {
  name: DiscordCommandName;
  type: 1; // CHAT_INPUT: a slash command
  description: string;
  options: DiscordCommandOption[];
}

/** The five commands, with `currencies` (the default first) as the choices of every currency option. */
export function discordApplicationCommands(currencies: readonly string[]): DiscordApplicationCommand[] {
  const currency = (what: string): DiscordCommandOption => ({
    type: DISCORD_OPTION.STRING,
    name: 'currency',
    description: `${what} (default ${currencies[0]})`,
    required: false,
    choices: currencies.map((code) => ({ name: code, value: code })),
  });
  const member = (description: string, required: boolean): DiscordCommandOption => ({ type: DISCORD_OPTION.USER, name: 'user', description, required });
  return [
    { name: 'balance', type: 1, description: 'Show a wallet: yours, or another member’s', options: [member('whose wallet (default: yours)', false)] },
    {
      name: 'pay',
      type: 1,
      description: 'Pay another member from your wallet',
      options: [
        member('who gets paid', true),
        { type: DISCORD_OPTION.INTEGER, name: 'amount', description: 'how much, in whole units', required: true, min_value: 1, max_value: DISCORD_MAX_INTEGER },
        currency('which currency'),
      ],
    },
    { name: 'badges', type: 1, description: 'Show the badges unlocked: yours, or another member’s', options: [member('whose badges (default: yours)', false)] },
    { name: 'leaderboard', type: 1, description: 'The richest members in a currency', options: [currency('ranked by which currency')] },
    { name: 'daily', type: 1, description: 'Claim your daily allowance', options: [currency('which allowance')] },
  ];
}
