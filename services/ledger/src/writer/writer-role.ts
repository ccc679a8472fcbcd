import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PATTERNS } from '@coffer/contracts';
import { LOGGER, type JsonLogger, type ScopedNatsServer } from '@coffer/platform';
import type { Leadership } from './leadership';
import { LedgerWriter } from './ledger-writer';

export const LEDGER_TRANSPORT = Symbol('LedgerTransport');
export const LEADERSHIP = Symbol('Leadership');

/**
 * Standby until it holds the realm's lock, then active: rebuilds, fences older writers, and
 * only then joins the command subjects. Losing the lock or being fenced sends it back to standby.
 */
@Injectable()
export class WriterRole implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private loop: Promise<void> | undefined;
  role: 'standby' | 'active' = 'standby';

  constructor(
    @Inject(LedgerWriter) private readonly writer: LedgerWriter,
    @Inject(LEADERSHIP) private readonly leadership: Leadership,
    @Inject(LEDGER_TRANSPORT) private readonly transport: ScopedNatsServer,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {
    transport.gate(PATTERNS.ledgerCommands, PATTERNS.ledgerQueries);
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.logger.event('info', 'standby: waiting for the writer lock');
      try {
        await this.leadership.acquire();
      } catch {
        return; // stopped while waiting
      }
      try {
        const fenced = new Promise<void>((resolve) => (this.writer.onFenced = resolve));
        await this.writer.lead();
        this.transport.openGate();
        this.role = 'active';
        await Promise.race([this.leadership.lost(), fenced]);
        if (!this.stopped) this.logger.event('warn', 'lost the writer role');
      } catch (error) {
        this.logger.event('error', 'could not take the writer role', { error: (error as Error).message });
      }
      this.role = 'standby';
      this.transport.closeGate();
      await this.writer.stepDown();
      await this.leadership.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.transport.closeGate();
    await this.writer.stepDown();
    await this.leadership.stop();
    await this.loop;
  }
}
