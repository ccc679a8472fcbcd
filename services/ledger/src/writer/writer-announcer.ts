import { PATTERNS, type WriterAnnouncement } from '@coffer/contracts';
import { WRITER_ANNOUNCE_INTERVAL_MS, type ScopedNatsServer } from '@coffer/platform';

/**
 * The active writer says who it is on PATTERNS.ledgerWriter, at once when it takes over and then
 * every WRITER_ANNOUNCE_INTERVAL_MS: senders (WriterDirectory) address its own subject, and move
 * what they have in flight to a newer term as soon as they hear it. It falls silent as soon as
 * its lease may have lapsed, so a frozen writer that wakes up never claims commands again.
 * Signed as the ledger: senders ignore an announcement anyone else could have published.
 */
export class WriterAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private payload: Uint8Array | undefined;

  constructor(
    private readonly transport: Pick<ScopedNatsServer, 'publish'>,
    private readonly instance: string,
    private readonly mayAnnounce: () => boolean,
  ) {}

  start(term: number): void {
    this.stop();
    const announcement: WriterAnnouncement = { term, instance: this.instance };
    this.payload = Buffer.from(JSON.stringify(announcement));
    this.announce();
    this.timer = setInterval(() => this.announce(), WRITER_ANNOUNCE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.payload = undefined;
  }

  private announce(): void {
    if (this.payload && this.mayAnnounce()) this.transport.publish(PATTERNS.ledgerWriter, this.payload, 'ledger');
  }
}
