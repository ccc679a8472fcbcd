/** `coffer discord commands|register` against Discord's stand-in (a real loopback HTTP server). */
import { discordApplicationCommands } from '@coffer/contracts';
import { loadConfig } from '@coffer/platform';
import { DiscordStandIn } from '../../../notifier/test/discord-stand-in';
import { runDiscordCli } from './discord';

const TOKEN = 'bot-token-0123456789abcdef';
const APPLICATION = '1100000000000000001';

describe('coffer discord', () => {
  let discord: DiscordStandIn;
  beforeAll(async () => {
    discord = await DiscordStandIn.start({ botToken: TOKEN, guildId: '1', roles: [], members: [] });
  });
  afterAll(() => discord.close());

  const run = async (args: string[], env: Record<string, string>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDiscordCli(args, loadConfig(env), (line) => out.push(line), (line) => err.push(line));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints the five commands with their option types and the currencies as choices, the default first', async () => {
    const { code, out } = await run(['commands'], { COFFER_DISCORD_CURRENCIES: 'gems,coins' });
    expect(code).toBe(0);
    const commands = JSON.parse(out) as Array<{ name: string; options: Array<{ name: string; type: number; required?: boolean; choices?: unknown }> }>;
    expect(commands.map((command) => command.name)).toEqual(['balance', 'pay', 'badges', 'leaderboard', 'daily']);
    const pay = commands.find((command) => command.name === 'pay');
    expect(pay?.options.map(({ name, type, required }) => ({ name, type, required }))).toEqual([
      { name: 'user', type: 6, required: true },
      { name: 'amount', type: 4, required: true },
      { name: 'currency', type: 3, required: false },
    ]);
    expect(pay?.options[2].choices).toEqual([{ name: 'coins', value: 'coins' }, { name: 'gems', value: 'gems' }]);
  });

  it('PUTs them to the application with the bot token', async () => {
    const env = { COFFER_DISCORD_APP_ID: APPLICATION, COFFER_DISCORD_BOT_TOKEN: TOKEN, COFFER_DISCORD_API_URL: discord.url };
    const { code, out } = await run(['register'], env);
    expect(code).toBe(0);
    expect(out).toMatch(/registered 5 commands with application 1100000000000000001/);
    expect(discord.commands.get(APPLICATION)).toEqual(discordApplicationCommands(['coins']));
    const put = discord.requests.find((request) => request.path === `/applications/${APPLICATION}/commands`);
    expect(put?.headers.authorization).toBe(`Bot ${TOKEN}`);
  });

  it('says what is missing, and what Discord refused', async () => {
    expect(await run(['register'], {})).toMatchObject({ code: 2, err: expect.stringMatching(/COFFER_DISCORD_APP_ID/) });
    const wrongToken = { COFFER_DISCORD_APP_ID: APPLICATION, COFFER_DISCORD_BOT_TOKEN: 'another-bot-token-0123456789', COFFER_DISCORD_API_URL: discord.url };
    expect(await run(['register'], wrongToken)).toMatchObject({ code: 1, err: expect.stringMatching(/401.*bot token/) });
    expect(await run(['nonsense'], {})).toMatchObject({ code: 2 });
  });
});
