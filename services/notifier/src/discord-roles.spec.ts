import { JsonLogger, loadConfig } from '@coffer/platform';
import { DiscordRoles } from './discord-roles';

describe('the Discord role outbox without Discord configured', () => {
  it('does nothing and says so once', async () => {
    const lines: string[] = [];
    const logger = new JsonLogger('notifier', 'info', (line) => lines.push(line));
    // Unconfigured, it never touches the store or the database: none is given.
    const roles = new DiscordRoles(loadConfig({ COFFER_DISCORD_GUILD_ID: '900000000000000001' }), undefined as never, undefined as never, logger);
    roles.start();
    await roles.stop();
    expect(lines.filter((line) => line.includes('discord badge roles are off'))).toHaveLength(1);
  });
});
