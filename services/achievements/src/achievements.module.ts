import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Pool } from 'pg';
import type { EventStore } from '@coffer/event-store';
import {
  CoreModule,
  createPool,
  EVENT_STORE,
  healthController,
  natsConnectionOptions,
  poolBoundsOf,
  ScopedNatsClient,
  type CofferConfig,
  type JsonLogger,
  type ServiceKeyring,
} from '@coffer/platform';
import { LedgerRewardPayer } from './rewards/ledger-payer';
import { DEFAULT_REACTOR_OPTIONS, RewardReactor, type RewardReactorOptions } from './rewards/reward-reactor';
import { AchievementsController } from './writer/achievements.controller';
import { AchievementsWriter, DEFAULT_WRITER_OPTIONS, type AchievementsWriterOptions } from './writer/achievements-writer';
import { AchievementQuota } from './writer/achievement-quota';
import { CommandClaims } from './writer/command-claims';
import { ensureAchievementsSchema } from './writer/achievements-schema';

export const ACHIEVEMENTS_POOL = Symbol('AchievementsPool');
export const LEDGER_CLIENT = Symbol('AchievementsLedgerClient');

export interface AchievementsTuning {
  writer?: Partial<AchievementsWriterOptions>;
  reactor?: Partial<RewardReactorOptions>;
}

/** Starts the reward reactor with the service and stops it before the store and pool close. */
@Injectable()
class RewardReactorRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(RewardReactor) private readonly reactor: RewardReactor) {}

  onApplicationBootstrap(): void {
    this.reactor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.reactor.stop();
  }
}

const ACHIEVEMENTS_RETENTION_MS = Symbol('AchievementsIdempotencyRetentionMs');

/** How often bindings of idempotency keys older than the window are deleted. */
export const CLAIMS_PRUNE_INTERVAL_MS = 60_000;

/** Deletes expired idempotency bindings now and then; a failed round is simply tried again at the next. */
@Injectable()
class ClaimsPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(CommandClaims) private readonly claims: CommandClaims,
    @Inject(ACHIEVEMENTS_RETENTION_MS) private readonly retentionMs: number,
  ) {}

  onApplicationBootstrap(): void {
    const prune = () => (this.running = this.claims.prune(this.retentionMs).catch(() => undefined));
    prune();
    this.timer = setInterval(prune, CLAIMS_PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** Closes the pool and the ledger client once Nest has stopped taking messages and the reactor is stopped. */
@Injectable()
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(ACHIEVEMENTS_POOL) private readonly pool: Pool,
    @Inject(LEDGER_CLIENT) private readonly ledger: ScopedNatsClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.pool.end(), this.ledger.close()]);
  }
}

@Module({})
export class AchievementsModule {
  /** `keys`: the deployment's service keys, which the reward payments to the ledger are signed with. */
  static forRoot(config: CofferConfig, logger: JsonLogger, keys: ServiceKeyring, tuning: AchievementsTuning = {}): DynamicModule {
    return {
      module: AchievementsModule,
      imports: [CoreModule.forRoot(config, logger, { eventStore: true })],
      controllers: [healthController('achievements'), AchievementsController],
      providers: [
        {
          provide: ACHIEVEMENTS_POOL,
          useFactory: async () => {
            const pool = createPool({ connectionString: config.databaseUrl, max: 10 }, poolBoundsOf(config));
            await ensureAchievementsSchema(pool);
            return pool;
          },
        },
        {
          provide: LEDGER_CLIENT,
          // Connects on first use: the reactor retries while NATS or the ledger is not there yet.
          useFactory: () =>
            new ScopedNatsClient(
              { ...natsConnectionOptions(config), name: 'coffer-achievements-rewards' },
              { prefix: config.natsPrefix, realm: config.realm },
              { sender: 'achievements', keys },
            ),
        },
        ConnectionsCloser,
        { provide: CommandClaims, inject: [ACHIEVEMENTS_POOL], useFactory: (pool: Pool) => new CommandClaims(pool) },
        { provide: AchievementQuota, inject: [ACHIEVEMENTS_POOL], useFactory: (pool: Pool) => new AchievementQuota(pool) },
        { provide: ACHIEVEMENTS_RETENTION_MS, useValue: config.idempotencyRetentionHours * 3_600_000 },
        ClaimsPruner,
        {
          provide: AchievementsWriter,
          inject: [EVENT_STORE, CommandClaims, AchievementQuota, ACHIEVEMENTS_RETENTION_MS],
          useFactory: (store: EventStore, claims: CommandClaims, quota: AchievementQuota, idempotencyRetentionMs: number) =>
            new AchievementsWriter(store, claims, quota, logger, { ...DEFAULT_WRITER_OPTIONS, idempotencyRetentionMs, ...tuning.writer }),
        },
        {
          provide: RewardReactor,
          inject: [EVENT_STORE, ACHIEVEMENTS_POOL, LEDGER_CLIENT],
          useFactory: (store: EventStore, pool: Pool, ledger: ScopedNatsClient) =>
            new RewardReactor(store, pool, new LedgerRewardPayer(ledger, config.requestTimeoutMs, { scope: { prefix: config.natsPrefix, realm: config.realm }, keys }), logger, {
              databaseUrl: config.databaseUrl,
              ...DEFAULT_REACTOR_OPTIONS,
              ...tuning.reactor,
            }),
        },
        RewardReactorRunner,
      ],
    };
  }
}
