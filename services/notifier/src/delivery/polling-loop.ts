/**
 * The loop an outbox consumer runs: one pass, then an idle wait that a nudge (something was
 * enqueued, a slot freed) cuts short; a failed pass is logged (once per streak) and tried again
 * with backoff. Shared by the webhooks' deliverer and the Discord role granter.
 */
import { retryDelayMs as backoffMs, sleep, type JsonLogger } from '@coffer/platform';

export class PollingLoop {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly logger: JsonLogger,
    /** Names the loop in logs. */
    private readonly what: string,
    /** One pass; answers how long to wait before the next one, unless nudged. */
    private readonly pass: () => Promise<number>,
  ) {}

  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    this.loop = this.run();
  }

  nudge(): void {
    this.wake?.();
  }

  /** Ends the loop after its current pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.nudge();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const idleMs = await this.pass();
        failures = 0;
        await this.idle(idleMs);
      } catch (error) {
        failures++;
        this.logger.event(failures === 1 ? 'error' : 'debug', `${this.what} failed, trying again`, { error: (error as Error).message });
        await sleep(backoffMs(failures));
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
