import { ConfigError, loadConfig } from './config';
import { DEFAULT_DISCORD_API_URL } from './discord-config';

describe('the Discord configuration', () => {
  it('is off by default, with Discord’s API and the default currency', () => {
    expect(loadConfig({}).discord).toEqual({
      publicKey: undefined,
      appKey: undefined,
      applicationId: undefined,
      botToken: undefined,
      guildId: undefined,
      apiUrl: DEFAULT_DISCORD_API_URL,
      currencies: ['coins'],
      deferAfterMs: 2000,
    });
  });

  it('reads every variable; the default currency always comes first', () => {
    const discord = loadConfig({
      COFFER_DISCORD_PUBLIC_KEY: 'a'.repeat(64),
      COFFER_DISCORD_APP_KEY: `ck_${'b'.repeat(43)}`,
      COFFER_DISCORD_APP_ID: '1100000000000000001',
      COFFER_DISCORD_BOT_TOKEN: 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gx1y2z.abcdefghijklmnopqrstuvwxyz0123456789AB',
      COFFER_DISCORD_GUILD_ID: '900000000000000001',
      COFFER_DISCORD_API_URL: 'http://127.0.0.1:9999/api/v10/',
      COFFER_DISCORD_CURRENCIES: 'gems, coins',
      COFFER_DISCORD_DEFER_AFTER_MS: '2500',
    }).discord;
    expect(discord).toMatchObject({ apiUrl: 'http://127.0.0.1:9999/api/v10', currencies: ['coins', 'gems'], deferAfterMs: 2500, guildId: '900000000000000001' });
  });

  it('refuses a bad value naming the variable, and never echoes a secret', () => {
    const refused = () =>
      loadConfig({
        COFFER_DISCORD_PUBLIC_KEY: 'not-hex',
        COFFER_DISCORD_BOT_TOKEN: 'short secret!',
        COFFER_DISCORD_GUILD_ID: 'general',
        COFFER_DISCORD_DEFER_AFTER_MS: '2501',
        COFFER_DISCORD_CURRENCIES: 'Coins',
      });
    expect(refused).toThrow(ConfigError);
    try {
      refused();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/COFFER_DISCORD_PUBLIC_KEY must be 64 hex digits/);
      expect(problems).toMatch(/COFFER_DISCORD_BOT_TOKEN must be a bot token/);
      expect(problems).not.toMatch(/short secret/);
      expect(problems).toMatch(/COFFER_DISCORD_GUILD_ID must be a Discord snowflake/);
      expect(problems).toMatch(/COFFER_DISCORD_DEFER_AFTER_MS must be an integer from 0 to 2500/);
      expect(problems).toMatch(/COFFER_DISCORD_CURRENCIES/);
    }
  });
});
