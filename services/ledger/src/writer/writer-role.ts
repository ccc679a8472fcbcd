import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PATTERNS } from '@coffer/contracts';
import { LOGGER, type JsonLogger, type ScopedNatsServer } from '@coffer/platform';
import { LedgerWriter } from './ledger-writer';
import { WriterAnnouncer } from './writer-announcer';
import type { WriterLease } from './writer-lease';

export const LEDGER_TRANSPORT = Symbol('LedgerTransport');
export const WRITER_LEASE = Symbol('WriterLease');

/**
 * Standby until it holds the realm's writer lease, following the stream meanwhile; then active:
 * catches up, fences older writers, and only then joins the command subjects (the shared ones
 * and its own) and announces itself. Losing the lease or being fenced sends it back to standby.
 */
@Injectable()
export class WriterRole implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly announcer: WriterAnnouncer;
  role: 'standby' | 'active' = 'standby';

  constructor(
    @Inject(LedgerWriter) private readonly writer: LedgerWriter,
    @Inject(WRITER_LEASE) private readonly lease: WriterLease,
    @Inject(LEDGER_TRANSPORT) private readonly transport: ScopedNatsServer,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly instanceId: string,
  ) {
    transport.gate(PATTERNS.ledgerCommands, PATTERNS.ledgerQueries);
    this.announcer = new WriterAnnouncer(transport, instanceId, () => this.lease.valid());
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.writer.follow();
      this.logger.event('info', 'standby: following the stream, waiting for the writer lease');
      try {
        await this.lease.acquire();
      } catch {
        return; // stopped while waiting
      }
      // Renewing starts at once: a writer that must rebuild first (a cold start) keeps its lease meanwhile.
      const held = this.lease.held();
      try {
        const fenced = new Promise<void>((resolve) => (this.writer.onFenced = resolve));
        await this.writer.lead(() => this.lease.valid());
        this.transport.openGate(this.instanceId);
        this.role = 'active';
        this.announcer.start(this.writer.term);
        await Promise.race([held, fenced]);
        if (!this.stopped) this.logger.event('warn', 'lost the writer role');
      } catch (error) {
        this.logger.event('error', 'could not take the writer role', { error: (error as Error).message });
      }
      this.role = 'standby';
      this.announcer.stop();
      this.transport.closeGate();
      await this.writer.stepDown();
      await this.lease.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.announcer.stop();
    this.transport.closeGate();
    await this.writer.stepDown();
    // Released at once: the standby takes over at its next try instead of waiting out the lease.
    await this.lease.stop();
    await this.loop;
  }
}
