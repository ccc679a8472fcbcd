import { randomUUID } from 'node:crypto';
import {
  contextOf,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  EVENT_SCHEMA_VERSIONS,
  ledgerStreamOf,
  storedTypeNames,
  upcastEvent,
  type LedgerCommandBody,
  type LedgerEvent,
  type LedgerQuery,
  type Refusal,
  type Reply,
  type RequestMeta,
} from '@coffer/contracts';
import { decideCommand, MAX_QUEUED_COMMANDS, stampFor, toAppend, unavailable, WriterIntake } from '@coffer/decider';
import {
  asFolded,
  poisonedBy,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@coffer/event-store';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';
import { dueEvents, type CommandSender, type SystemCommand } from '../domain/decide';
import { evolve, type AppliedEvent } from '../domain/evolve';
import { answer } from '../domain/queries';
import type { LedgerState } from '../domain/state';
import { ledgerDecider, type LedgerDecider } from '../domain/decider';
import { isolatePoison, type PoisonedWriter } from './poison-isolation';
import type { SnapshotStore } from './snapshot-store';
import { StandbyTail } from './standby-tail';
import { WriterSnapshots } from './writer-snapshots';
import type { CommandWork, Queued, Work } from './writer-work';

export interface LedgerWriterOptions {
  realm: string;
  eventTimeoutSeconds: number;
  instanceId: string;
  /** Take a snapshot after this many events since the last one. */
  snapshotEvery: number;
  /** Most commands decided into one append (group commit). */
  maxBatch: number;
  sweepIntervalMs: number;
  clock: () => Date;
  /** How long a command sent with an Idempotency-Key is remembered (COFFER_IDEMPOTENCY_RETENTION_HOURS). */
  idempotencyRetentionMs?: number;
  /** Most work waiting behind the batch in flight (MAX_QUEUED_COMMANDS unless a test says otherwise). */
  maxQueued?: number;
  /** Told of every batch once its events are durable (ledger-metrics.ts). */
  batchDecided?: (commands: number, events: NewEvent[]) => void;
}

/**
 * Events between snapshots. A cold start replays at most this many after loading the newest one
 * (about 20 µs each); snapshots are small since settled events are kept as ids only (6.5 MB at
 * 1 M events), so taking one every 20,000 events costs the writer a few tens of ms.
 */
export const DEFAULT_SNAPSHOT_EVERY = 20_000;

/** Events read per page when replaying the stream. */
const REPLAY_PAGE_EVENTS = 5000;
/** The ledger's event types under every name the stream may hold them (a standby tails them all). */
const LEDGER_EVENT_TYPES = storedTypeNames(
  Object.keys(EVENT_SCHEMA_VERSIONS).filter((type) => contextOf(type as keyof typeof EVENT_SCHEMA_VERSIONS) === 'ledger'),
);

/**
 * The realm's single writer (DESIGN.md, "The ledger"): holds every account and open event in
 * memory, decides commands one at a time against that exact state, appends each batch's events
 * in one store round trip, and answers only once the batch is durable. A failed append is
 * fail-stop: the batch is refused and the state rebuilt from the store; except when the store
 * refused the batch's content and the batch's own events break the value rules, which is one
 * command's failure (poison-isolation.ts). A standby keeps its state current with a StandbyTail.
 */
export class LedgerWriter implements PoisonedWriter {
  private state: LedgerState;
  private lastPosition = '';
  private queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  private leading = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly expiring = new Set<number>();
  private readonly snapshots: WriterSnapshots;
  /** Whether the state was ever rebuilt from the store (a standby then keeps it current). */
  private warm = false;
  private readonly tail: StandbyTail;
  /** Asked before every batch while leading: false once this writer's lease may have lapsed. */
  private mayDecide: () => boolean = () => true;
  /** Called when another writer took the stream: this one must stop leading. */
  onFenced: () => void = () => undefined;
  private readonly decider: LedgerDecider;
  private readonly intake: WriterIntake;

  constructor(
    private readonly store: EventStore,
    snapshotStore: SnapshotStore,
    private readonly logger: JsonLogger,
    private readonly options: LedgerWriterOptions,
  ) {
    this.decider = ledgerDecider(this.retentionMs);
    this.intake = new WriterIntake('ledger', options.maxQueued ?? MAX_QUEUED_COMMANDS, options.clock);
    this.state = this.emptyState();
    this.snapshots = new WriterSnapshots(snapshotStore, options.realm, options.snapshotEvery, logger);
    this.tail = new StandbyTail(store, this, LEDGER_EVENT_TYPES, logger);
  }

  private get retentionMs(): number {
    return this.options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  }

  private emptyState(): LedgerState {
    return this.decider.initialState();
  }

  get stream(): string {
    return ledgerStreamOf(this.options.realm);
  }

  get isLeading(): boolean {
    return this.leading;
  }

  get term(): number {
    return this.state.term;
  }

  /** For ledger-metrics.ts: what waits, the state decided so far and the sweeper's clock. */
  get queued(): number {
    return this.queue.length;
  }
  get decidedState(): LedgerState {
    return this.state;
  }
  get decisionTime(): Date {
    return this.intake.decisionTime(this.state.memory);
  }

  /** The stream revision the state includes. */
  get revision(): bigint {
    return this.state.revision;
  }

  /** Global position of the last event the state includes ('' for none). */
  get position(): string {
    return this.lastPosition;
  }

  mayAppend(): boolean {
    return this.leading && this.mayDecide();
  }

  /**
   * Takes over: brings the state up to the stream's end (a standby that followed it reads only
   * the last few events; otherwise it rebuilds) and fences any older writer by starting a new
   * term at that revision. From then on every batch first asks `mayDecide` (the lease).
   */
  async lead(mayDecide: () => boolean = () => true): Promise<void> {
    const started = performance.now();
    await this.tail.stop();
    await this.matchStore();
    const caughtUp = await this.replay(this.state);
    if (caughtUp.position !== undefined) this.lastPosition = caughtUp.position;
    this.mayDecide = mayDecide;
    this.expiring.clear();
    this.leading = true;
    const term = await this.submit(this.systemWork({ type: 'StartTerm', data: { instance_id: this.options.instanceId } }));
    if (!term.ok) {
      this.leading = false;
      throw new Error(`could not start a writer term: ${term.message}`);
    }
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
    this.logger.event('info', 'leading the ledger', {
      realm: this.options.realm,
      term: this.state.term,
      revision: this.state.revision,
      caught_up_events: caughtUp.count,
      takeover_ms: Math.round(performance.now() - started),
    });
  }

  /**
   * Standby: keeps the state current by tailing the stream (events appended by the active
   * writer), so that taking over reads only what the tail has not delivered yet. A state that
   * does not match the store (decisions of a batch whose append failed) is rebuilt first.
   */
  follow(): void {
    if (!this.leading) this.tail.start();
  }

  /** The tail's events: evolved into the state in order. */
  async applyTail(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.stream !== this.stream || event.streamPosition <= this.state.revision) continue;
      if (event.streamPosition === this.state.revision + 1n) {
        evolveRecorded(this.state, event);
        this.lastPosition = event.globalPosition.toString();
        continue;
      }
      // Not the next event (cannot happen in one stream's global order): read the stream itself.
      const caughtUp = await this.replay(this.state);
      if (caughtUp.position !== undefined) this.lastPosition = caughtUp.position;
    }
  }

  /**
   * Rebuilds unless the state is exactly a prefix of the stream: it was built from the store, and
   * the event at its revision is the last one it appended or read (a batch whose append failed
   * leaves decisions in memory that the stream does not hold).
   */
  async matchStore(): Promise<void> {
    if (this.warm) {
      if (this.state.revision < 0n) return;
      const [atRevision] = await this.store.readStream(this.stream, { fromRevision: this.state.revision, maxCount: 1 });
      if (atRevision?.streamPosition === this.state.revision && atRevision.globalPosition.toString() === this.lastPosition) return;
    }
    await this.rebuild();
  }

  /** Stops deciding (and following): finishes the batch in flight, refuses what is still queued. */
  async stepDown(): Promise<void> {
    clearInterval(this.sweeper);
    this.leading = false;
    await this.tail.stop();
    await this.draining;
    for (const item of this.queue.splice(0)) item.resolve(unavailable('the ledger is changing writers'));
    await this.snapshots.settled();
  }

  /** `sender`: whose signature the NATS door checked (never the ledger: it does not sign). */
  command(body: LedgerCommandBody, meta: RequestMeta, sender: Exclude<CommandSender, 'ledger'>): Promise<Reply<unknown>> {
    const late = this.intake.refuseOnArrival(meta);
    if (late) return Promise.resolve(late);
    return this.submit({
      kind: 'command',
      command: body.command,
      meta,
      context: {
        now: this.options.clock(), // replaced by the decision time when its turn comes
        eventTimeoutSeconds: this.options.eventTimeoutSeconds,
        command_id: meta.command_id,
        sender,
        app_id: meta.app_id,
        key_id: meta.key_id,
        request_hash: body.request_hash,
        realm: this.options.realm,
      },
    });
  }

  /** Queries wait their turn too, so they see every command acknowledged before them. */
  query(query: LedgerQuery): Promise<Reply<unknown>> {
    return this.submit({ kind: 'query', query });
  }

  private submit(work: Work): Promise<Reply<unknown>> {
    if (!this.leading) return Promise.resolve(unavailable('this ledger is not the active writer'));
    const full = this.intake.refuseWhenFull(this.queue.length);
    if (full) return Promise.resolve(full);
    return new Promise((resolve) => {
      this.queue.push({ work, resolve });
      this.kick();
    });
  }

  /**
   * Starts the drain loop unless it runs. Work queued after the loop saw an empty queue but
   * before its promise settled would otherwise wait for the next submit: the loop looks again.
   * The loop answers every item itself; should it throw anyway (an invariant of evolve broken),
   * the writer stops deciding rather than die or leave callers hanging.
   */
  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain()
      .catch((error: Error) => this.halt(error))
      .finally(() => {
        this.draining = undefined;
        if (this.queue.length > 0 && this.leading) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.leading) {
      if (!this.mayDecide()) return this.lapse();
      const batch = this.queue.splice(0, this.options.maxBatch);
      try {
        await this.decideBatch(batch);
      } catch (error) {
        for (const item of batch) item.resolve(unavailable('the ledger failed while deciding this batch'));
        throw error;
      }
    }
  }

  /**
   * Decides a batch in order, appends its events at once, then answers every item. Every command
   * of the batch is decided at one decision time (decisionTimeMs): it drops the commands whose
   * sender has stopped waiting, and is the time their events record.
   */
  async decideBatch(batch: Queued[]): Promise<void> {
    const expected = this.state.revision;
    const events: NewEvent[] = [];
    const answers: Array<(position: string) => Reply<unknown>> = [];
    const now = this.intake.decisionTime(this.state.memory);
    for (const { work } of batch) {
      if (work.kind === 'query') {
        const reply = answer(this.state, work.query, this.lastPosition);
        answers.push((position) => patchPosition(reply, position));
        continue;
      }
      const late = this.intake.refuseIfLate(work.meta, now);
      if (late) {
        // Its sender has answered 503 already: deciding it now would apply what its caller was told failed.
        answers.push(() => late);
        continue;
      }
      work.context.now = now;
      // A refusal with an Idempotency-Key is recorded: then answered, like any event, once durable.
      const decided = decideCommand(this.decider, work.command, this.state, work.context, this.stamp(work));
      events.push(...toAppend(decided.events));
      answers.push(decided.answer);
    }
    if (events.length > 0) {
      try {
        const appended = await this.store.append(this.stream, events, expected < 0n ? 'no_stream' : expected);
        this.lastPosition = appended.lastGlobalPosition.toString();
        this.rememberPositions(batch);
      } catch (error) {
        // Only a batch whose own events break the value rules can be refused for its content: any other refusal is the store's fault.
        const poisoned = poisonedBy(error, this.stream, events);
        if (poisoned) {
          await isolatePoison(this, this.logger, batch, expected, poisoned);
        } else {
          await this.failStop(batch, error);
        }
        return;
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(answers[i](this.lastPosition));
    this.options.batchDecided?.(batch.length, events);
    this.snapshots.maybeTake(this.state);
  }

  /** The decision time, deadline and memory's end go with the events, so a rebuild or a standby remembers what this writer remembers. */
  private stamp({ meta, context, command }: CommandWork): (event: AppliedEvent) => AppliedEvent {
    return stampFor<AppliedEvent>(meta, context, this.retentionMs, command);
  }

  /** Remembered commands of this batch remember where they landed, for their replays. */
  private rememberPositions(batch: Queued[]): void {
    for (const { work } of batch) {
      if (work.kind === 'command') this.state.memory.placeAt(work.context.command_id, Boolean(work.context.request_hash), this.lastPosition);
    }
  }

  /** For poison isolation: the refusal's record of one command, appended alone. */
  async appendRecord(item: Queued, refused: Refusal, meta: RequestMeta): Promise<void> {
    const work = { ...(item.work as CommandWork), meta };
    const events: NewEvent[] = [];
    const expected = this.state.revision;
    work.context.now = this.intake.decisionTime(this.state.memory);
    const decision = { kind: 'refused' as const, refusal: refused };
    const decided = decideCommand(this.decider, work.command, this.state, work.context, this.stamp(work), decision);
    events.push(...toAppend(decided.events));
    const appended = await this.store.append(this.stream, events, expected < 0n ? 'no_stream' : expected);
    this.lastPosition = appended.lastGlobalPosition.toString();
    this.rememberPositions([item]);
  }

  /**
   * This writer's lease may have run out (it was frozen, or could not renew): a successor may be
   * deciding already, so it decides nothing more. Its role sees the lost lease and steps down.
   */
  private lapse(): void {
    this.logger.event('warn', 'the writer lease may have lapsed: deciding nothing more');
    this.leading = false;
    clearInterval(this.sweeper);
    for (const item of this.queue.splice(0)) item.resolve(unavailable('the ledger is changing writers'));
  }

  /** The drain loop failed in a way it does not handle: nothing more is decided from this state. */
  private halt(error: Error): void {
    this.logger.event('error', 'the writer failed while deciding: deciding nothing more', { error: error.message });
    this.leading = false;
    this.warm = false; // its memory may hold half a batch: rebuilt before it follows or leads again
    clearInterval(this.sweeper);
    for (const item of this.queue.splice(0)) item.resolve(unavailable('the ledger is changing writers'));
    this.onFenced();
  }

  /**
   * Answers the batch 503 and rebuilds the state from the store, retrying with a bounded backoff
   * while the store is away, for as long as this writer leads (a step-down or shutdown ends the
   * loop; the state is rebuilt before it follows or leads again). Fenced: steps down at once.
   */
  async failStop(batch: Queued[], error: unknown): Promise<void> {
    for (const item of batch) item.resolve(unavailable('the ledger could not store this batch'));
    if (error instanceof WrongExpectedRevisionError) {
      this.logger.event('error', 'fenced: another writer appended to the stream', { error: error.message });
      this.leading = false;
      clearInterval(this.sweeper);
      this.onFenced();
      return;
    }
    this.logger.event('error', 'append failed: rebuilding the state from the store', {
      error: (error as Error).message,
    });
    this.warm = false;
    for (let attempt = 1; this.leading; attempt++) {
      try {
        await this.rebuild();
        return;
      } catch (rebuildError) {
        this.logger.event(attempt === 1 ? 'error' : 'debug', 'rebuild failed, retrying', {
          error: (rebuildError as Error).message,
          attempt,
        });
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  /** Starts loading the newest snapshot while the service boots; resolves once loaded (or failed). */
  prefetchSnapshot(): Promise<void> {
    return this.snapshots.prefetch();
  }

  /** Loads the newest snapshot (if it matches the stream) and replays the events after it. */
  async rebuild(): Promise<void> {
    const started = Date.now();
    const loaded = await this.snapshots.newest(this.store, this.stream, this.retentionMs);
    const state = loaded?.state ?? this.emptyState();
    const fromSnapshot = state.revision;
    const replayed = await this.replay(state);
    this.state = state;
    this.lastPosition = replayed.position ?? loaded?.position ?? '';
    this.warm = true;
    this.snapshots.loadedAt(fromSnapshot);
    this.expiring.clear();
    this.logger.event('info', 'ledger state rebuilt', {
      snapshot_revision: fromSnapshot,
      revision: state.revision,
      replayed: (state.revision - fromSnapshot).toString(),
      ms: Date.now() - started,
    });
  }

  /** Evolves `state` by the stream's events after its revision; says how many and the last one's global position. */
  private async replay(state: LedgerState): Promise<{ count: number; position: string | undefined }> {
    let count = 0;
    let position: string | undefined;
    for (;;) {
      const events = await this.store.readStream(this.stream, { fromRevision: state.revision + 1n, maxCount: REPLAY_PAGE_EVENTS });
      for (const event of events) evolveRecorded(state, event);
      count += events.length;
      if (events.length > 0) position = events[events.length - 1].globalPosition.toString();
      if (events.length < REPLAY_PAGE_EVENTS) return { count, position };
    }
  }

  /** Expires open events past their deadline, through the queue like any command. */
  private sweep(): void {
    if (!this.leading) return;
    const now = this.intake.decisionTime(this.state.memory);
    for (const eventId of dueEvents(this.state, now)) {
      if (this.expiring.has(eventId)) continue;
      this.expiring.add(eventId);
      void this.submit(this.systemWork({ type: 'ExpireEvent', data: { event_id: eventId } })).finally(() =>
        this.expiring.delete(eventId),
      );
    }
  }

  /** A command the ledger gives itself: no app, no idempotency key, its own correlation id. */
  private systemWork(command: SystemCommand): Work {
    const id = randomUUID();
    return {
      kind: 'command',
      command,
      // Nobody waits on it over NATS, so nothing can have given up on it.
      meta: { correlation_id: id, command_id: id, app_id: null, key_id: null, deadline_epoch_ms: Number.POSITIVE_INFINITY },
      context: {
        now: this.options.clock(),
        eventTimeoutSeconds: this.options.eventTimeoutSeconds,
        command_id: id,
        sender: 'ledger',
        app_id: null,
        key_id: null,
        request_hash: null,
      },
    };
  }
}

/** Applies an event as the store holds it (replay and standby alike), upcast to the current catalog. */
function evolveRecorded(state: LedgerState, stored: RecordedEvent): void {
  evolve(state, asFolded<LedgerEvent, AppliedEvent['metadata']>(upcastEvent(stored)));
}

/** A query answered inside a batch reports the position after that batch. */
function patchPosition(reply: Reply<unknown>, position: string): Reply<unknown> {
  if (reply.ok && reply.result && typeof reply.result === 'object' && 'position' in reply.result) {
    return { ok: true, result: { ...(reply.result as object), position } };
  }
  return reply;
}
