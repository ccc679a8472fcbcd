import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@coffer/event-store';
import { CoreModule, EVENT_STORE, healthController, poolBoundsOf, type CofferConfig, type JsonLogger, type ScopedNatsServer } from '@coffer/platform';
import { Registry } from 'prom-client';
import { LedgerController } from './writer/ledger.controller';
import { LedgerMetrics } from './writer/ledger-metrics';
import { DEFAULT_SNAPSHOT_EVERY, LedgerWriter } from './writer/ledger-writer';
import { SnapshotStore } from './writer/snapshot-store';
import { DEFAULT_LEASE_TIMING, WriterLease, type LeaseTiming } from './writer/writer-lease';
import { LEDGER_TRANSPORT, WRITER_LEASE, WriterRole } from './writer/writer-role';

class SnapshotStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(SnapshotStore) private readonly snapshots: SnapshotStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.snapshots.close();
  }
}

export interface LedgerTuning {
  snapshotEvery?: number;
  maxBatch?: number;
  sweepIntervalMs?: number;
  clock?: () => Date;
  maxQueued?: number;
  lease?: LeaseTiming;
}

@Module({})
export class LedgerModule {
  static forRoot(
    config: CofferConfig,
    logger: JsonLogger,
    transport: ScopedNatsServer,
    tuning: LedgerTuning = {},
    registry: Registry = new Registry(),
  ): DynamicModule {
    let role: WriterRole | undefined;
    const metrics = new LedgerMetrics(registry);
    const instanceId = randomUUID();
    return {
      module: LedgerModule,
      imports: [CoreModule.forRoot(config, logger, { eventStore: true })],
      controllers: [healthController('ledger', () => role?.role), LedgerController],
      providers: [
        { provide: LEDGER_TRANSPORT, useValue: transport },
        { provide: SnapshotStore, useFactory: () => new SnapshotStore(config.databaseUrl, poolBoundsOf(config)) },
        SnapshotStoreCloser,
        {
          provide: WRITER_LEASE,
          useFactory: () => new WriterLease(config.databaseUrl, config.realm, instanceId, tuning.lease ?? DEFAULT_LEASE_TIMING),
        },
        {
          provide: LedgerWriter,
          inject: [EVENT_STORE, SnapshotStore],
          useFactory: (store: EventStore, snapshots: SnapshotStore) => {
            const writer = new LedgerWriter(store, snapshots, logger, {
              realm: config.realm,
              eventTimeoutSeconds: config.eventTimeoutSeconds,
              instanceId,
              snapshotEvery: tuning.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
              maxBatch: tuning.maxBatch ?? 1000,
              sweepIntervalMs: tuning.sweepIntervalMs ?? 100,
              clock: tuning.clock ?? (() => new Date()),
              idempotencyRetentionMs: config.idempotencyRetentionHours * 3_600_000,
              maxQueued: tuning.maxQueued,
              batchDecided: metrics.batchDecided,
            });
            metrics.watch(writer);
            void writer.prefetchSnapshot();
            return writer;
          },
        },
        {
          provide: WriterRole,
          inject: [LedgerWriter, WRITER_LEASE, LEDGER_TRANSPORT],
          // Built by hand so the health probe can report this instance's role.
          useFactory: (writer: LedgerWriter, lease: WriterLease, nats: ScopedNatsServer) =>
            (role = new WriterRole(writer, lease, nats, logger, instanceId)),
        },
      ],
    };
  }
}
