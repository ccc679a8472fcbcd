import { Client } from 'pg';
import { READ_CHECKPOINT_CHANNEL } from '@coffer/contracts';

/** While anyone waits, the checkpoint is also read this often (a notification may be lost). */
const FALLBACK_POLL_MS = 50;
const RECONNECT_MS = 1000;

interface Waiter {
  position: bigint;
  resolve: () => void;
}

/**
 * The position the serving read models have reached, as this gateway last heard it: the
 * projector announces each batch's commit on READ_CHECKPOINT_CHANNEL. A read that must include
 * a write waits here; many waiting reads cost one listening connection and, while any waits,
 * one shared poll, instead of a query every few milliseconds each.
 */
export class CheckpointWatcher {
  private latest = -1n;
  private readonly waiters = new Set<Waiter>();
  private listener: Client | undefined;
  private polling: NodeJS.Timeout | undefined;
  private closed = false;
  private reconnecting = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly readPosition: () => Promise<bigint>,
  ) {}

  /** Starts listening; a database that is down is retried in the background. */
  async start(): Promise<void> {
    await this.listen().catch(() => this.reconnectLater());
  }

  /** The highest position seen so far (notified or polled). */
  get heard(): bigint {
    return this.latest;
  }

  /** The highest position seen; refreshed from the database when `refresh` is set. */
  async position(refresh = false): Promise<bigint> {
    if (refresh) this.advance(await this.readPosition());
    return this.latest;
  }

  /** Resolves once the read models include `position`; false when `timeoutMs` passed first. */
  async reached(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.latest >= position) return true;
    // The views may not exist yet (projector not started): keep waiting rather than fail.
    if ((await this.position(true).catch(() => this.latest)) >= position) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(waiter);
      this.pollWhileWaited();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.polling);
    await this.listener?.end().catch(() => undefined);
  }

  private advance(position: bigint): void {
    if (position <= this.latest) return;
    this.latest = position;
    for (const waiter of [...this.waiters]) if (waiter.position <= position) waiter.resolve();
  }

  private pollWhileWaited(): void {
    if (this.polling || this.closed) return;
    this.polling = setTimeout(async () => {
      this.polling = undefined;
      if (this.waiters.size === 0) return;
      await this.position(true).catch(() => undefined);
      if (this.waiters.size > 0) this.pollWhileWaited();
    }, FALLBACK_POLL_MS);
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === READ_CHECKPOINT_CHANNEL && message.payload && /^\d+$/.test(message.payload)) {
        this.advance(BigInt(message.payload));
      }
    });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.listener === client) this.listener = undefined;
      this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${READ_CHECKPOINT_CHANNEL}`);
    this.listener = client;
  }

  private reconnectLater(): void {
    if (this.closed || this.reconnecting) return;
    this.reconnecting = true;
    setTimeout(() => {
      this.reconnecting = false;
      if (!this.closed && !this.listener) this.listen().catch(() => this.reconnectLater());
    }, RECONNECT_MS).unref();
  }
}
