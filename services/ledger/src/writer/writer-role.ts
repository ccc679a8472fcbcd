import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PATTERNS } from '@coffer/contracts';
import { LeadershipLoop, LOGGER, type JsonLogger, type LeaderRole, type ScopedNatsServer } from '@coffer/platform';
import { LedgerWriter } from './ledger-writer';
import { WriterAnnouncer } from './writer-announcer';
import type { WriterLease } from './writer-lease';

export const LEDGER_TRANSPORT = Symbol('LedgerTransport');
export const WRITER_LEASE = Symbol('WriterLease');

/**
 * Standby until it holds the realm's writer lease, following the stream meanwhile; then active:
 * catches up, fences older writers, and only then joins the command subjects (the shared ones
 * and its own) and announces itself. Losing the lease or being fenced sends it back to standby
 * (the loop: LeadershipLoop).
 */
@Injectable()
export class WriterRole implements OnApplicationBootstrap, OnApplicationShutdown, LeaderRole {
  private readonly loop: LeadershipLoop;
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
    this.loop = new LeadershipLoop(lease, this, logger, 'writer role');
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  standby(): void {
    this.writer.follow();
    this.logger.event('info', 'standby: following the stream, waiting for the writer lease');
  }

  async lead(): Promise<{ ended: Promise<void> }> {
    const fenced = new Promise<void>((resolve) => (this.writer.onFenced = resolve));
    await this.writer.lead(() => this.lease.valid());
    this.transport.openGate(this.instanceId);
    this.role = 'active';
    this.announcer.start(this.writer.term);
    return { ended: fenced };
  }

  async stepDown(): Promise<void> {
    this.role = 'standby';
    this.announcer.stop();
    this.transport.closeGate();
    await this.writer.stepDown();
  }

  async onApplicationShutdown(): Promise<void> {
    const stopping = this.loop.stop();
    await this.stepDown();
    // Released at once: the standby takes over at its next try instead of waiting out the lease.
    await this.lease.stop();
    await stopping;
  }
}
