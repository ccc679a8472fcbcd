import { sleep } from './http-client';

export interface Attempt {
  sentAt: number;
  answeredAt: number;
  status: number;
}

/** One write, sent with `key` (the same key on every retry of it); resolves with its HTTP status, or undefined when nothing came back. */
export type SendWrite = (key: string) => Promise<number | undefined>;

/**
 * A steady load of writes through real HTTP for the failover specs: `workers` clients, each
 * sending one write after another with a key of its own and retrying a failed one with the same
 * key (so a write is acknowledged once, whatever the fault), every attempt recorded with when it
 * was sent and answered.
 */
export class SteadyLoad {
  readonly attempts: Attempt[] = [];
  acknowledged = 0;
  private running = true;
  private next = 0;
  private readonly done: Promise<void[]>;

  constructor(
    private readonly send: SendWrite,
    private readonly label: string,
    workers: number,
  ) {
    this.done = Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const key = `${this.label}-${this.next++}`;
      for (;;) {
        const sentAt = Date.now();
        const status = await this.send(key).catch(() => undefined);
        this.attempts.push({ sentAt, answeredAt: Date.now(), status: status ?? 0 });
        if (status === 201) {
          this.acknowledged++;
          break;
        }
        await sleep(50);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Attempts answered within [from, to]. */
  within(from: number, to: number): Attempt[] {
    return this.attempts.filter((attempt) => attempt.answeredAt >= from && attempt.sentAt <= to);
  }

  /** How the load fared around a fault at `faultAt`. */
  around(faultAt: number) {
    const spanning = this.attempts.filter((attempt) => attempt.sentAt <= faultAt && attempt.answeredAt > faultAt);
    const after = this.attempts.filter((attempt) => attempt.sentAt >= faultAt && attempt.status === 201);
    return {
      in_flight_at_fault: spanning.length,
      longest_in_flight_wait_ms: Math.max(0, ...spanning.map((attempt) => attempt.answeredAt - faultAt)),
      first_write_after_fault_ms: after.length ? Math.min(...after.map((attempt) => attempt.answeredAt)) - faultAt : undefined,
      slowest_answer_ms: Math.max(...this.attempts.map((attempt) => attempt.answeredAt - attempt.sentAt)),
      unavailable: this.attempts.filter((attempt) => attempt.status !== 201).length,
    };
  }
}
