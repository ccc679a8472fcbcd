import { Client } from 'pg';
import { notifyChannel } from './schema';

/**
 * One LISTEN connection per store, shared by its subscriptions: PostgreSQL notifies it when an
 * append commits, so subscribers wake within milliseconds instead of busy polling. If the
 * connection drops, subscribers fall back to their poll interval until it is back.
 */
export class AppendListener {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private waiters = new Set<() => void>();
  private closed = false;
  /** Counts notifications, so a reader can tell whether one came while it was reading. */
  private notifications = 0;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
  ) {}

  /** The notification count now: pass it to `wait` to not miss one that arrives meanwhile. */
  get sequence(): number {
    return this.notifications;
  }

  /**
   * Resolves at the next append notification or after `timeoutMs`, whichever comes first; at
   * once if a notification came after `since` (a `sequence` read before the caller's last read).
   */
  async wait(timeoutMs: number, since?: number): Promise<void> {
    this.ensureConnected();
    if (since !== undefined && since !== this.notifications) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Wakes every waiter now (used when a subscription stops). */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves once LISTEN is active (subscriptions await it before their first read). */
  async ready(): Promise<void> {
    this.ensureConnected();
    await this.connecting?.catch(() => undefined);
  }

  private ensureConnected(): void {
    if (this.client || this.connecting || this.closed) return;
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString });
    client.on('notification', () => {
      this.notifications++;
      this.wakeAll();
    });
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${notifyChannel(this.schema)}"`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      // Anything appended while we were not listening must not wait for the poll interval.
      this.notifications++;
      this.wakeAll();
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('notification');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
