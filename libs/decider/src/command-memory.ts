/**
 * What a writer remembers of the commands it decided, so that a command sent again gets its
 * first answer instead of a second effect: a command sent with an Idempotency-Key (a request
 * hash) for the retention window, one without until its sender's deadline (a gateway resending
 * it to a new writer, or a captured copy replayed on NATS).
 *
 * Everything here is folded from the events: each event's metadata says when its command was
 * decided and until when it is remembered, so a replay, a snapshot restore and a standby forget
 * exactly what the live writer forgot, whatever their own clock or settings. The same sequence of
 * events always leaves the same records, in the same order.
 */
import { MAX_DEADLINE_AHEAD_MS, type Refusal } from '@coffer/contracts';

/**
 * The most commands one memory (keyed, or without a key) holds. Every record is in the writer's
 * heap and in every snapshot, so time alone is no bound: at 5,000 keyed commands/s a 72 h window
 * would hold 1.3 billion. Beyond it the oldest record is forgotten first, as if its window had
 * ended: a retry of it is decided afresh.
 */
export const MAX_REMEMBERED_COMMANDS = 250_000;

export interface RememberedCommand<Reply = unknown> {
  /** The request's hash for a command sent with an Idempotency-Key; null for one without. */
  request_hash: string | null;
  /** What the command answered (merged over its events). */
  reply: Reply;
  /** Global position of the command's last event ('' until its append is durable). */
  position: string;
  /** Event time (epoch ms) from which it is forgotten: a command sent again then is decided afresh. */
  remembered_until_ms: number;
  /** The refusal it got, for a command that was refused (answered again on replay). */
  refusal?: Refusal;
}

/** What a writer writes in the metadata of each event about the command that caused it. */
export interface CommandMetadata {
  command_id?: string | null;
  request_hash?: string | null;
  /** When the command was decided (the writer's decision time): the event time memories expire by. */
  decided_at_epoch_ms?: number | null;
  /** When its sender stopped waiting: a command without a key is remembered until then. */
  deadline_epoch_ms?: number | null;
  /** Until when a command with a key is remembered: its decision time plus the writer's retention then. */
  remembered_until_epoch_ms?: number | null;
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The times a writer stamps on a command's events. The retention is the deciding writer's
 * setting at that moment: written down, it is what every later fold uses, so a standby or a
 * writer restarted with another setting forgets the command exactly when this one would have.
 */
export function commandTimes(
  decidedAtMs: number,
  deadlineMs: number,
  keyed: boolean,
  retentionMs: number,
): Required<Pick<CommandMetadata, 'decided_at_epoch_ms' | 'deadline_epoch_ms' | 'remembered_until_epoch_ms'>> {
  return {
    decided_at_epoch_ms: decidedAtMs,
    deadline_epoch_ms: isTime(deadlineMs) ? deadlineMs : null,
    remembered_until_epoch_ms: keyed ? decidedAtMs + retentionMs : null,
  };
}

/**
 * The time a writer decides at: its own clock, but never before the latest event time it folded.
 * Records are forgotten by that event time and looked up by this one; were the two clocks of two
 * writers allowed to disagree (a standby whose clock lags), a record could be forgotten by one
 * and still current for the other. Monotonic across writers, so a decision never goes back.
 */
export function decisionTimeMs(clockMs: number, memory: { readonly clockMs: number }): number {
  return Math.max(clockMs, memory.clockMs);
}

/** Whether a command's sender had stopped waiting at the decision time (it answered 503: nothing may be applied). */
export function isPastDeadline(deadlineMs: number, decisionMs: number): boolean {
  return deadlineMs <= decisionMs;
}

export class CommandMemory<Reply = unknown> {
  /** The latest event time folded (epoch ms): the clock by which records are forgotten. */
  clockMs = 0;
  /** Commands sent with an Idempotency-Key, in the order they were decided. */
  readonly keyed = new Map<string, RememberedCommand<Reply>>();
  /** Commands sent without a key, until their deadline, in the order they were decided. */
  readonly unkeyed = new Map<string, RememberedCommand<Reply>>();
  private readonly keyedOldest = new Oldest(this.keyed);
  private readonly unkeyedOldest = new Oldest(this.unkeyed);

  /**
   * `fallbackRetentionMs`: the window of keyed commands whose events carry no
   * remembered_until_epoch_ms (written before the writers stamped it). `merge`: how a command's
   * reply combines over its events.
   */
  constructor(
    readonly fallbackRetentionMs: number,
    private readonly merge: (previous: Reply, next: Reply) => Reply,
    readonly maxCommands: number = MAX_REMEMBERED_COMMANDS,
  ) {}

  /** The command's record while it is remembered at `nowMs` (one past its end, not yet pruned, counts as forgotten). */
  recall(commandId: string, keyed: boolean, nowMs: number): RememberedCommand<Reply> | undefined {
    const remembered = (keyed ? this.keyed : this.unkeyed).get(commandId);
    return remembered && nowMs < remembered.remembered_until_ms ? remembered : undefined;
  }

  /**
   * Folds an event's time: the clock moves to it (never back) and what has expired by then is
   * forgotten. Returns the event's time, for remember(). `timeInData` reads the time of an event
   * written before the metadata carried one (called only then).
   */
  advance<E>(metadata: CommandMetadata | undefined, event: E, timeInData: (event: E) => number | undefined): number {
    const nowMs = eventTimeMs(metadata, event, timeInData, this.clockMs);
    if (nowMs > this.clockMs) this.clockMs = nowMs;
    this.keyedOldest.forgetExpired(this.clockMs);
    this.unkeyedOldest.forgetExpired(this.clockMs);
    return nowMs;
  }

  /**
   * Remembers the command behind an event decided at `nowMs` (see advance), with what it
   * answered: merged over its earlier events, or its refusal. A command the writer gave itself
   * (no deadline, no key) is not remembered: nobody sends it again.
   */
  remember(metadata: CommandMetadata | undefined, nowMs: number, position: string | undefined, reply: Reply, refusal?: Refusal): void {
    const commandId = metadata?.command_id;
    if (!commandId) return;
    const request_hash = metadata.request_hash || null;
    const until = rememberedUntil(metadata, request_hash !== null, nowMs, this.fallbackRetentionMs);
    if (until === undefined) return;
    const memory = request_hash ? this.keyed : this.unkeyed;
    let previous = memory.get(commandId);
    if (previous && previous.remembered_until_ms <= nowMs) {
      // An earlier use of the id, forgotten but not yet pruned: this is a new command.
      memory.delete(commandId);
      previous = undefined;
    }
    const at = position ?? previous?.position ?? '';
    memory.set(
      commandId,
      refusal
        ? { request_hash, reply, position: at, remembered_until_ms: until, refusal }
        : { request_hash, reply: previous ? this.merge(previous.reply, reply) : reply, position: at, remembered_until_ms: until },
    );
    // Over the cap: the oldest goes first, so every fold of the same events forgets the same ones.
    if (memory.size > this.maxCommands) (request_hash ? this.keyedOldest : this.unkeyedOldest).forgetOne();
  }

  /**
   * Where a command's last event sits in the store, known only once the append is durable: the
   * one change a record gets after it is made (one remembered with a position keeps it).
   */
  placeAt(commandId: string, keyed: boolean, position: string): void {
    const decided = (keyed ? this.keyed : this.unkeyed).get(commandId);
    if (decided && decided.position === '') decided.position = position;
  }

  /** A copy to decide on (records are replaced, never changed but by placeAt, so they are shared). */
  copy(): CommandMemory<Reply> {
    const copy = new CommandMemory<Reply>(this.fallbackRetentionMs, this.merge, this.maxCommands);
    copy.clockMs = this.clockMs;
    for (const [id, remembered] of this.keyed) copy.keyed.set(id, remembered);
    for (const [id, remembered] of this.unkeyed) copy.unkeyed.set(id, remembered);
    return copy;
  }
}

/**
 * Until when the command of an event is remembered. A keyed command: what its writer stamped,
 * or (events written before) its decision time plus this fold's retention. A command without a
 * key: its deadline, never more than MAX_DEADLINE_AHEAD_MS after its decision (the writers
 * refuse deadlines further ahead; the cap keeps this memory bounded whatever the stream holds).
 */
function rememberedUntil(metadata: CommandMetadata, keyed: boolean, nowMs: number, fallbackRetentionMs: number): number | undefined {
  if (keyed) return isTime(metadata.remembered_until_epoch_ms) ? metadata.remembered_until_epoch_ms : nowMs + fallbackRetentionMs;
  const deadline = metadata.deadline_epoch_ms;
  // The writer's own commands have no deadline (nobody sends them again), nor have events older than deadlines.
  if (!isTime(deadline)) return undefined;
  const until = Math.min(deadline, nowMs + MAX_DEADLINE_AHEAD_MS);
  return until > nowMs ? until : undefined;
}

/**
 * The front of a memory, where records are forgotten: by time (their ends come nearly in the
 * order they were decided, so pruning from the front costs only what it removes; a record that
 * outlives the one behind it only delays that one's pruning, and recall() treats an expired
 * record as forgotten either way), and by the cap.
 *
 * It keeps one iterator over the map rather than asking for its first entry each time: a
 * Map's deleted entries stay in its table until it is rebuilt, and every new iterator walks
 * over them first, so a memory forgetting at its front as fast as it remembers (a full cap, a
 * steady rate of deadlines) would pay for every hole on every event (tens of µs at the cap).
 */
class Oldest<Reply> {
  private cursor: Iterator<string> | undefined;
  private headId: string | undefined;

  constructor(private readonly memory: Map<string, RememberedCommand<Reply>>) {}

  forgetExpired(nowMs: number): void {
    for (let oldest = this.peek(); oldest && oldest.remembered_until_ms <= nowMs; oldest = this.peek()) this.forgetOne();
  }

  forgetOne(): void {
    if (!this.peek()) return;
    this.memory.delete(this.headId as string);
    this.headId = undefined;
  }

  /**
   * The record first in the map's order. A record is only ever deleted elsewhere when it has
   * expired without being pruned, which the front never is (pruned first), so the head found
   * is still the front while its id is there (a merge replaces its record in place).
   */
  private peek(): RememberedCommand<Reply> | undefined {
    for (;;) {
      if (this.headId !== undefined) {
        const record = this.memory.get(this.headId);
        if (record) return record;
        this.headId = undefined;
      }
      this.cursor ??= this.memory.keys();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined; // an exhausted iterator never yields again: the next call starts anew
        return undefined;
      }
      this.headId = next.value;
    }
  }
}

/**
 * The `timeInData` of advance() for a context's events, from the field of each event type's data
 * that holds its time (ISO 8601), or null for a type that holds none (a recorded refusal).
 */
export function timeInDataBy<E extends { type: string; data: object }>(
  fields: { [Type in E['type']]: keyof Extract<E, { type: Type }>['data'] | null },
): (event: E) => number | undefined {
  return (event) => {
    const field = fields[event.type as E['type']];
    return field === null ? undefined : Date.parse((event.data as Record<PropertyKey, unknown>)[field] as string);
  };
}

/** When the event's command was decided: in the metadata, or (events written before it was) in the data; else the clock so far. */
function eventTimeMs<E>(metadata: CommandMetadata | undefined, event: E, timeInData: (event: E) => number | undefined, clockMs: number): number {
  const decided = metadata?.decided_at_epoch_ms;
  if (isTime(decided)) return decided;
  const written = timeInData(event);
  return written === undefined || Number.isNaN(written) ? clockMs : written;
}

/** A record as a snapshot keeps it: a flat row, without the field names of every record. */
export type RememberedRow<Reply = unknown> = [
  command_id: string,
  request_hash: string | null,
  remembered_until_ms: number,
  position: string,
  reply: Reply,
  refusal?: Refusal,
];

export function toRow<Reply>(commandId: string, remembered: RememberedCommand<Reply>): RememberedRow<Reply> {
  const { request_hash, remembered_until_ms, position, reply, refusal } = remembered;
  return refusal
    ? [commandId, request_hash, remembered_until_ms, position, reply, refusal]
    : [commandId, request_hash, remembered_until_ms, position, reply];
}

/** Puts a snapshot's rows back, in their order (the order eviction and pruning follow). */
export function restoreRows<Reply>(memory: CommandMemory<Reply>, rows: Iterable<RememberedRow<Reply>>): void {
  for (const [commandId, request_hash, remembered_until_ms, position, reply, refusal] of rows) {
    (request_hash ? memory.keyed : memory.unkeyed).set(
      commandId,
      refusal ? { request_hash, reply, position, remembered_until_ms, refusal } : { request_hash, reply, position, remembered_until_ms },
    );
  }
}
