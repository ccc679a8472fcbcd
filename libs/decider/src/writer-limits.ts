/**
 * What every writer (the ledger's single writer, the achievements lanes) answers the same way:
 * a full queue, a deadline a sender may not set, a command its sender has given up on.
 */
import { MAX_DEADLINE_AHEAD_MS, refusal, type Refusal } from '@coffer/contracts';
import { decisionTimeMs, isPastDeadline } from './command-memory';

/**
 * The most commands waiting for a writer. Beyond what it decides within a sender's timeout,
 * waiting only turns into a 503 later and holds memory meanwhile: refusing at once (503 with a
 * retry hint) sheds the load while the queue drains.
 */
export const MAX_QUEUED_COMMANDS = 10_000;
/** What a refusal for a full queue tells its caller to wait before trying again. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

/** 503: nothing was decided, the same command may be sent again. */
export const unavailable = (why: string, details?: Record<string, unknown>): Refusal =>
  refusal('UNAVAILABLE', `${why}: retry with the same Idempotency-Key`, details);

export function queueFull(service: string, maxQueued: number): Refusal {
  return unavailable(`the ${service} has too much work queued`, {
    retry_after_seconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
    max_queued: maxQueued,
  });
}

/** What a command dropped at its turn answers (its sender has answered 503 already). */
export function pastDeadline(): Refusal {
  return unavailable('the command waited past its deadline and was not applied');
}

/**
 * The deadline bounds how long a command without a key is remembered: it must be there, and
 * near (MAX_DEADLINE_AHEAD_MS from `nowMs`). Null when it is; else the refusal.
 */
export function deadlineRefusal(deadline: unknown, nowMs: number): Refusal | null {
  if (typeof deadline === 'number' && Number.isFinite(deadline) && deadline <= nowMs + MAX_DEADLINE_AHEAD_MS) return null;
  return refusal('VALIDATION_FAILED', `deadline_epoch_ms must be a time at most ${MAX_DEADLINE_AHEAD_MS} ms ahead`, {
    deadline_epoch_ms: typeof deadline === 'number' && Number.isFinite(deadline) ? deadline : null,
  });
}

/**
 * The checks every writer makes of a command between NATS and its decider, in one place: on
 * arrival (a deadline it may not set, a full queue), and at its turn (the batch's decision time,
 * and whether its sender has stopped waiting by then).
 */
export class WriterIntake {
  /**
   * `service`: how refusals name the writer; `maxQueued`: the most commands waiting behind the
   * batches in flight; `clock`: the writer's clock (a test's own).
   */
  constructor(
    private readonly service: string,
    readonly maxQueued: number,
    private readonly clock: () => Date,
  ) {}

  /** On arrival: the refusal of a deadline the sender may not set (see deadlineRefusal), or null. */
  refuseOnArrival(meta: { deadline_epoch_ms: unknown }): Refusal | null {
    return deadlineRefusal(meta.deadline_epoch_ms, this.clock().getTime());
  }

  /** On queueing behind `queued` others: a 503 with a retry hint when there is no room, else null. */
  refuseWhenFull(queued: number): Refusal | null {
    return queued >= this.maxQueued ? queueFull(this.service, this.maxQueued) : null;
  }

  /** The time a batch is decided at: the clock, never before the latest event time its state folded (decisionTimeMs). */
  decisionTime(memory: { readonly clockMs: number }): Date {
    return new Date(decisionTimeMs(this.clock().getTime(), memory));
  }

  /** At its turn: its sender answered 503 already (pastDeadline), or null to decide it. */
  refuseIfLate(meta: { deadline_epoch_ms: number }, decisionTime: Date): Refusal | null {
    return isPastDeadline(meta.deadline_epoch_ms, decisionTime.getTime()) ? pastDeadline() : null;
  }
}
