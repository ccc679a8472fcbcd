/**
 * The Discord role outbox (README, "Discord"): its feed and its granter, run beside the webhooks'
 * when Discord is configured (COFFER_DISCORD_BOT_TOKEN and COFFER_DISCORD_GUILD_ID). Otherwise it
 * does nothing and says so once; its checkpoint stays where it was, so once configured it grants
 * the roles of every unlock it has not granted yet, past ones too.
 */
import type { Pool } from 'pg';
import type { EventStore } from '@coffer/event-store';
import type { CofferConfig, JsonLogger } from '@coffer/platform';
import { DEFAULT_ROLE_GRANTER_TIMEOUT_MS, RoleGranter, type RoleGranterOptions } from './delivery/role-granter';
import { DEFAULT_ROLE_RETRY_POLICY } from './domain/role-grants';
import { MAX_PENDING_ROLE_GRANTS, RoleFeeder } from './outbox/role-feeder';

export interface RoleTuning {
  granter?: Partial<Pick<RoleGranterOptions, 'retry' | 'timeoutMs'>>;
  maxPending?: number;
}

export class DiscordRoles {
  private readonly parts: { feeder: RoleFeeder; granter: RoleGranter } | undefined;

  constructor(config: CofferConfig, store: EventStore, pool: Pool, private readonly logger: JsonLogger, tuning: RoleTuning = {}) {
    const { botToken, guildId, apiUrl } = config.discord;
    if (botToken === undefined || guildId === undefined) return;
    const granter = new RoleGranter(pool, logger, {
      apiUrl,
      botToken,
      guildId,
      retry: DEFAULT_ROLE_RETRY_POLICY,
      timeoutMs: DEFAULT_ROLE_GRANTER_TIMEOUT_MS,
      ...tuning.granter,
    });
    const feeder = new RoleFeeder(store, pool, logger, () => granter.nudge(), tuning.maxPending ?? MAX_PENDING_ROLE_GRANTS);
    this.parts = { feeder, granter };
  }

  start(): void {
    if (!this.parts) {
      this.logger.event('info', 'discord badge roles are off: set COFFER_DISCORD_BOT_TOKEN and COFFER_DISCORD_GUILD_ID to grant them');
      return;
    }
    this.parts.feeder.start();
    this.parts.granter.start();
  }

  async stop(): Promise<void> {
    if (!this.parts) return;
    await Promise.all([this.parts.feeder.stop(), this.parts.granter.stop()]);
  }
}
