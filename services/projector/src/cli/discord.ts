/**
 * `npm run coffer -- discord commands|register`: the slash commands Coffer answers, as Discord's
 * application-command JSON (printed), or PUT to Discord as the application's whole command list
 * (PUT /applications/{app_id}/commands: it replaces the list, so running it again is harmless).
 */
import { discordApplicationCommands } from '@coffer/contracts';
import { callDiscord, type CofferConfig } from '@coffer/platform';

export const DISCORD_USAGE = `  discord commands           print the Discord application commands (JSON) Coffer answers
  discord register           PUT them to Discord (COFFER_DISCORD_APP_ID, COFFER_DISCORD_BOT_TOKEN,
                             COFFER_DISCORD_API_URL default https://discord.com/api/v10)`;

/** `out` and `err` are the CLI's stdout and stderr lines (tests collect them). */
export async function runDiscordCli(
  args: string[],
  config: CofferConfig,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const commands = discordApplicationCommands(config.discord.currencies);
  if (args[0] === 'commands') {
    out(JSON.stringify(commands, null, 2));
    return 0;
  }
  if (args[0] !== 'register') {
    err(`usage: npm run coffer -- discord commands|register\n${DISCORD_USAGE}`);
    return 2;
  }
  const { applicationId, botToken, apiUrl } = config.discord;
  if (applicationId === undefined || botToken === undefined) {
    err('discord register needs COFFER_DISCORD_APP_ID (the application id) and COFFER_DISCORD_BOT_TOKEN (the bot token)');
    return 2;
  }
  const answer = await callDiscord({ apiUrl, method: 'PUT', path: `/applications/${applicationId}/commands`, botToken, body: commands });
  if (!answer.ok) {
    const hint = answer.status === 401 ? ' (is COFFER_DISCORD_BOT_TOKEN this application’s bot token?)' : answer.status === 429 ? ` (retry in ${Math.ceil((answer.retryAfterMs ?? 1000) / 1000)} s)` : '';
    err(`discord register: ${answer.error}${hint}`);
    return 1;
  }
  out(`registered ${commands.length} commands with application ${applicationId}: ${commands.map((command) => `/${command.name}`).join(', ')}`);
  return 0;
}
