import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { CoreModule, createPool, poolBoundsOf, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { ACHIEVEMENT_CONTROLLERS, ACHIEVEMENT_PROVIDERS } from './achievements/achievements.module';
import { AdminController } from './admin/admin.controller';
import { AdminToken } from './auth/admin-token';
import { AdminTokens } from './auth/admin-tokens';
import { OperatorsController } from './admin/operators.controller';
import { ApiKeyRegistry } from './auth/api-key-registry';
import { NatsRequestClient } from './backend/nats-request-client';
import { CommandSender } from './commands/command-sender';
import { DiscordCommands } from './discord/discord-commands';
import { AllowancesController } from './finance/allowances.controller';
import { AdminWithdrawalsController } from './external/admin-withdrawals.controller';
import { ExternalAccountsController } from './external/external-accounts.controller';
import { ReferenceKey } from './external/reference-key';
import { WithdrawalsController } from './external/withdrawals.controller';
import { FinanceController } from './finance/finance.controller';
import { FinanceEventsController } from './finance/events.controller';
import { FinanceReads } from './finance/finance-reads';
import { HealthController } from './health/health.controller';
import { LeaderboardsController } from './leaderboards/leaderboards.controller';
import { GatewayMetrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import { registerEconomyMetrics } from './metrics/economy-metrics';
import { registerProjectionMetrics } from './metrics/projection-metrics';
import { AddressLimits } from './rate-limit/address-limits';
import { RateLimiter } from './rate-limit/token-bucket';
import { ReadConsistency } from './reads/consistency';
import { ReadModels } from './reads/read-models';
import { DB_POOL } from './tokens';
import { WebhooksController } from './webhooks/webhooks.controller';
import { AdminOverviewController } from './operations/admin-overview.controller';
import { OperationsController } from './operations/operations.controller';
import { OPERATIONS_PROVIDERS } from './operations/operations.providers';

class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(DB_POOL) private readonly pool: Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: CofferConfig, logger: JsonLogger, metrics: GatewayMetrics): DynamicModule {
    return {
      module: GatewayModule,
      // The event store is tailed for API key issues and revocations made through any gateway.
      imports: [CoreModule.forRoot(config, logger, { eventStore: true })],
      controllers: [
        HealthController,
        MetricsController,
        AdminController,
        OperatorsController,
        FinanceEventsController,
        AllowancesController,
        FinanceController,
        ExternalAccountsController,
        WithdrawalsController,
        AdminWithdrawalsController,
        AdminOverviewController,
        OperationsController,
        ...ACHIEVEMENT_CONTROLLERS,
        LeaderboardsController,
        WebhooksController,
      ],
      providers: [
        { provide: GatewayMetrics, useValue: metrics },
        {
          provide: DB_POOL,
          useFactory: () => createPool({ connectionString: config.databaseUrl, max: 10 }, poolBoundsOf(config)),
        },
        PoolCloser,
        NatsRequestClient,
        CommandSender,
        ApiKeyRegistry,
        AdminToken,
        AdminTokens,
        { provide: RateLimiter, useFactory: () => new RateLimiter(config.rateLimitPerSecond) },
        {
          provide: AddressLimits,
          useFactory: () =>
            new AddressLimits({
              unauthenticatedPerSecond: config.addressRateLimitPerSecond,
              authFailuresPerSecond: config.authFailureLimitPerSecond,
            }),
        },
        ReadModels,
        FinanceReads,
        ReferenceKey,
        ReadConsistency,
        {
          provide: 'ProjectionMetrics',
          inject: [GatewayMetrics, DB_POOL],
          useFactory: (gatewayMetrics: GatewayMetrics, pool: Pool) =>
            registerProjectionMetrics(gatewayMetrics.registry, pool) && registerEconomyMetrics(gatewayMetrics.registry, pool),
        },
        {
          provide: 'ResendMetrics',
          inject: [GatewayMetrics, NatsRequestClient],
          useFactory: (gatewayMetrics: GatewayMetrics, backend: NatsRequestClient) => {
            gatewayMetrics.countResends(() => backend.resent);
            gatewayMetrics.countBatches(() => backend.batched);
            return true;
          },
        },
        ...ACHIEVEMENT_PROVIDERS,
        DiscordCommands,
        ...OPERATIONS_PROVIDERS,
      ],
    };
  }
}
