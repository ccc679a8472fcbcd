import { randomUUID } from 'node:crypto';
import {
  contextOf,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  EVENT_SCHEMA_VERSIONS,
  isId,
  isText,
  MAX_DEADLINE_AHEAD_MS,
  MAX_REQUEST_ID_LENGTH,
  refusal,
  type CommandReply,
  type LedgerCommandBody,
  type LedgerEvent,
  type LedgerQuery,
  type Refusal,
  type Reply,
  type RequestMeta,
} from '@coffer/contracts';
import {
  ContentRefusedError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from '@coffer/event-store';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';
import { decide, dueEvents, recordedRefusal, type CommandSender, type DecideContext, type SystemCommand } from '../domain/decide';
import { evolve, mergeReplies, type AppliedEvent } from '../domain/evolve';
import { answer } from '../domain/queries';
import { isReadableSnapshot, restore, snapshot, type StoredSnapshot } from '../domain/snapshot';
import { LedgerState } from '../domain/state';
import type { SnapshotStore } from './snapshot-store';

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
}

interface CommandWork {
  kind: 'command';
  command: LedgerCommandBody['command'] | SystemCommand;
  context: DecideContext;
  meta: RequestMeta;
}

type Work = CommandWork | { kind: 'query'; query: LedgerQuery };

interface Queued {
  work: Work;
  resolve: (reply: Reply<unknown>) => void;
}

/**
 * Events between snapshots. A cold start replays at most this many after loading the newest one
 * (about 20 µs each); snapshots are small since settled events are kept as ids only (6.5 MB at
 * 1 M events), so taking one every 20,000 events costs the writer a few tens of ms.
 */
export const DEFAULT_SNAPSHOT_EVERY = 20_000;

/**
 * The most commands and queries waiting for the writer. Beyond what it decides within a
 * sender's timeout, waiting only turns into a 503 later and holds memory meanwhile: refusing at
 * once (503 with a retry hint) sheds the load while the queue drains.
 */
export const MAX_QUEUED_COMMANDS = 10_000;
/** What a refusal for a full queue tells its caller to wait before trying again. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

/** Events read per page when replaying the stream. */
const REPLAY_PAGE_EVENTS = 5000;
/**
 * A standby reads the stream's new events at most this often: at a takeover it then has at most
 * this much to read itself (a few hundred events at full load, a few ms), and at rest it costs
 * the database a handful of reads a second rather than one per append.
 */
export const STANDBY_READ_INTERVAL_MS = 100;

const LEDGER_EVENT_TYPES = Object.keys(EVENT_SCHEMA_VERSIONS).filter(
  (type) => contextOf(type as keyof typeof EVENT_SCHEMA_VERSIONS) === 'ledger',
);

const unavailable = (why: string, details?: Record<string, unknown>) =>
  refusal('UNAVAILABLE', `${why}: retry with the same Idempotency-Key`, details);

/**
 * The realm's single writer (DESIGN.md, "The ledger"): holds every account and open event in
 * memory, decides commands one at a time against that exact state, appends each batch's events
 * in one store round trip, and answers only once the batch is durable. A failed append is
 * fail-stop: the batch is refused and the state rebuilt from the store; except when the store
 * refused the batch's content, which is one command's failure (isolatePoison).
 */
export class LedgerWriter {
  private state: LedgerState;
  private position = '';
  private queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  private leading = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly expiring = new Set<number>();
  private snapshotRevision = -1n;
  private snapshotting: Promise<void> = Promise.resolve();
  private prefetched: Promise<StoredSnapshot | undefined> | undefined;
  /** Whether the state was ever rebuilt from the store (a standby then keeps it current). */
  private warm = false;
  private tail: Subscription | undefined;
  private following: Promise<void> | undefined;
  private followStopped = false;
  /** Asked before every batch while leading: false once this writer's lease may have lapsed. */
  private mayDecide: () => boolean = () => true;
  /** Called when another writer took the stream: this one must stop leading. */
  onFenced: () => void = () => undefined;

  constructor(
    private readonly store: EventStore,
    private readonly snapshots: SnapshotStore,
    private readonly logger: JsonLogger,
    private readonly options: LedgerWriterOptions,
  ) {
    this.state = this.emptyState();
  }

  private emptyState(): LedgerState {
    return new LedgerState(this.options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS);
  }

  get stream(): string {
    return `ledger-${this.options.realm}`;
  }

  get isLeading(): boolean {
    return this.leading;
  }

  get term(): number {
    return this.state.term;
  }

  /** The stream revision the state includes. */
  get revision(): bigint {
    return this.state.revision;
  }

  /**
   * Takes over: brings the state up to the stream's end (a standby that followed it reads only
   * the last few events; otherwise it rebuilds) and fences any older writer by starting a new
   * term at that revision. From then on every batch first asks `mayDecide` (the lease).
   */
  async lead(mayDecide: () => boolean = () => true): Promise<void> {
    const started = performance.now();
    await this.stopFollowing();
    if (!(await this.matchesStore())) await this.rebuild();
    const caughtUp = await this.replay(this.state);
    if (caughtUp.position !== undefined) this.position = caughtUp.position;
    this.mayDecide = mayDecide;
    this.expiring.clear();
    this.leading = true;
    const term = await this.submit(this.systemWork({ type: 'StartTerm', instance_id: this.options.instanceId }));
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
    if (this.following || this.leading) return;
    this.followStopped = false;
    this.following = this.runTail().finally(() => (this.following = undefined));
  }

  private async runTail(): Promise<void> {
    for (let attempt = 1; !this.followStopped; attempt++) {
      try {
        if (!(await this.matchesStore())) await this.rebuild();
        if (this.followStopped) return;
        this.tail = this.store.subscribeToAll((events) => this.applyTail(events), {
          after: this.position === '' ? undefined : BigInt(this.position),
          eventTypes: LEDGER_EVENT_TYPES,
          minReadIntervalMs: STANDBY_READ_INTERVAL_MS,
        });
        await this.tail.done;
        if (this.followStopped) return;
      } catch (error) {
        if (this.followStopped) return;
        this.logger.event(attempt === 1 ? 'warn' : 'debug', 'standby could not follow the stream: retrying', {
          error: (error as Error).message,
          attempt,
        });
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  private async applyTail(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.stream !== this.stream || event.streamPosition <= this.state.revision) continue;
      if (event.streamPosition === this.state.revision + 1n) {
        evolveRecorded(this.state, event);
        this.position = event.globalPosition.toString();
        continue;
      }
      // Not the next event (cannot happen in one stream's global order): read the stream itself.
      const caughtUp = await this.replay(this.state);
      if (caughtUp.position !== undefined) this.position = caughtUp.position;
    }
  }

  private async stopFollowing(): Promise<void> {
    this.followStopped = true;
    await this.tail?.stop();
    await this.following;
    this.tail = undefined;
  }

  /**
   * Whether the state is exactly a prefix of the stream: it was built from the store, and the
   * event at its revision is the last one it appended or read (a batch whose append failed
   * leaves decisions in memory that the stream does not hold).
   */
  private async matchesStore(): Promise<boolean> {
    if (!this.warm) return false;
    if (this.state.revision < 0n) return true;
    const [atRevision] = await this.store.readStream(this.stream, { fromRevision: this.state.revision, maxCount: 1 });
    return atRevision?.streamPosition === this.state.revision && atRevision.globalPosition.toString() === this.position;
  }

  /** Stops deciding (and following): finishes the batch in flight, refuses what is still queued. */
  async stepDown(): Promise<void> {
    clearInterval(this.sweeper);
    this.leading = false;
    await this.stopFollowing();
    await this.draining;
    for (const item of this.queue.splice(0)) item.resolve(unavailable('the ledger is changing writers'));
    await this.snapshotting;
  }

  /** `sender`: whose signature the NATS door checked (never the ledger: it does not sign). */
  command(body: LedgerCommandBody, meta: RequestMeta, sender: Exclude<CommandSender, 'ledger'>): Promise<Reply<unknown>> {
    const deadline = meta.deadline_epoch_ms;
    // The deadline bounds how long the command's id is remembered: it must be there, and near.
    if (typeof deadline !== 'number' || !Number.isFinite(deadline) || deadline > this.options.clock().getTime() + MAX_DEADLINE_AHEAD_MS) {
      return Promise.resolve(
        refusal('VALIDATION_FAILED', `deadline_epoch_ms must be a time at most ${MAX_DEADLINE_AHEAD_MS} ms ahead`, { deadline_epoch_ms: deadline ?? null }),
      );
    }
    return this.submit({
      kind: 'command',
      command: body.command,
      meta,
      context: {
        now: this.options.clock(),
        eventTimeoutSeconds: this.options.eventTimeoutSeconds,
        command_id: meta.command_id,
        sender,
        app_id: meta.app_id,
        key_id: meta.key_id,
        request_hash: body.request_hash,
      },
    });
  }

  /** Queries wait their turn too, so they see every command acknowledged before them. */
  query(query: LedgerQuery): Promise<Reply<unknown>> {
    return this.submit({ kind: 'query', query });
  }

  private submit(work: Work): Promise<Reply<unknown>> {
    if (!this.leading) return Promise.resolve(unavailable('this ledger is not the active writer'));
    const maxQueued = this.options.maxQueued ?? MAX_QUEUED_COMMANDS;
    if (this.queue.length >= maxQueued) {
      return Promise.resolve(
        unavailable('the ledger has too much work queued', { retry_after_seconds: QUEUE_FULL_RETRY_AFTER_SECONDS, max_queued: maxQueued }),
      );
    }
    return new Promise((resolve) => {
      this.queue.push({ work, resolve });
      this.kick();
    });
  }

  /**
   * Starts the drain loop unless it runs. Work queued after the loop saw an empty queue but
   * before its promise settled would otherwise wait for the next submit: the loop looks again.
   */
  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && this.leading) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.leading) {
      if (!this.mayDecide()) return this.lapse();
      const batch = this.queue.splice(0, this.options.maxBatch);
      await this.decideBatch(batch);
    }
  }

  /** Decides a batch in order, appends its events at once, then answers every item. */
  private async decideBatch(batch: Queued[]): Promise<void> {
    const expected = this.state.revision;
    const events: NewEvent[] = [];
    const answers: Array<(position: string) => Reply<unknown>> = [];
    const nowMs = this.options.clock().getTime();
    for (const { work } of batch) {
      if (work.kind === 'query') {
        const reply = answer(this.state, work.query, this.position);
        answers.push((position) => patchPosition(reply, position));
        continue;
      }
      if (work.meta.deadline_epoch_ms <= nowMs) {
        // Its sender has answered 503 already: deciding it now would apply what its caller was told failed.
        answers.push(() => unavailable('the command waited past its deadline and was not applied'));
        continue;
      }
      if (work.command.type === 'ExpireEvent') work.context.now = this.options.clock();
      const decision = decide(this.state, work.command, work.context);
      if (decision.kind === 'refused') {
        // Recorded for a command with an Idempotency-Key: then answered, like any event, once durable.
        const recorded = recordedRefusal(decision.refusal, work.context);
        if (recorded) this.apply(recorded, work, events);
        answers.push(() => decision.refusal);
      } else if (decision.kind === 'replay') {
        // Read when answering: an original decided earlier in this same batch gets its position only after the append.
        const { decided } = decision;
        answers.push(() =>
          decided.refusal ?? { ok: true, result: { result: decided.reply, position: decided.position, replayed: true } },
        );
      } else {
        let reply: unknown;
        for (const event of decision.events) reply = mergeReplies(reply, this.apply(event, work, events));
        answers.push((position) => ({ ok: true, result: { result: reply, position, replayed: false } }));
      }
    }
    if (events.length > 0) {
      try {
        const appended = await this.store.append(this.stream, events, expected < 0n ? 'no_stream' : expected);
        this.position = appended.lastGlobalPosition.toString();
        this.rememberPositions(batch);
      } catch (error) {
        if (error instanceof ContentRefusedError) await this.isolatePoison(batch, expected, error);
        else await this.failStop(batch, error);
        return;
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(answers[i](this.position));
    this.maybeSnapshot();
  }

  /** Evolves the state by a decided event and queues it for this batch's append; returns its reply. */
  private apply(event: LedgerEvent, work: CommandWork, events: NewEvent[]): unknown {
    const metadata = this.metadata(event, work);
    events.push({ id: randomUUID(), type: event.type, data: event.data, metadata });
    return evolve(this.state, { ...event, metadata });
  }

  /** Remembered commands of this batch remember where they landed, for their replays. */
  private rememberPositions(batch: Queued[]): void {
    for (const { work } of batch) {
      if (work.kind !== 'command') continue;
      const memory = work.context.request_hash ? this.state.commands : this.state.recentCommands;
      const decided = memory.get(work.context.command_id);
      if (decided && decided.position === '') decided.position = this.position;
    }
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

  /**
   * The store refused the batch's append for its content: one command decided something the
   * store cannot hold (decide's value rules should make that impossible; this keeps it one
   * command's failure if they ever miss something). The state holds the batch, which is not
   * durable, so it is rebuilt, and the batch is decided and appended again one command at a
   * time: the poisoned command is found by its own append and refused alone, the others are
   * appended and answered as usual. Only a fault of the store stays fail-stop. Rare, so simple:
   * a rebuild per poisoned command, and the common path pays nothing.
   */
  private async isolatePoison(batch: Queued[], expected: bigint, refused: ContentRefusedError): Promise<void> {
    const term = this.state.term;
    try {
      await this.rebuild();
    } catch (error) {
      await this.failStop(batch, error);
      return;
    }
    if (this.state.term !== term) {
      // The stream has another writer's term: appending on from the rebuilt state would write past its fence.
      await this.failStop(batch, new WrongExpectedRevisionError(this.stream, expected, this.state.revision));
      return;
    }
    if (batch.length === 1) {
      await this.refusePoisoned(batch[0], refused);
      return;
    }
    this.logger.event('warn', 'the store refused a batch for its content: appending its commands one at a time', {
      commands: batch.length,
      reason: refused.reason,
    });
    for (const item of batch) {
      if (this.leading && this.mayDecide()) await this.decideBatch([item]);
      else item.resolve(unavailable('the ledger is changing writers'));
    }
  }

  /**
   * Refuses the one command whose events the store cannot hold, with a 4xx that names the rule
   * and never the content. With an Idempotency-Key it is recorded (CommandRefused carries code,
   * message and reason only), so its retries get the same refusal without trying the store again.
   */
  private async refusePoisoned(item: Queued, refused: ContentRefusedError): Promise<void> {
    const { work } = item;
    if (work.kind !== 'command') {
      item.resolve(unavailable('the ledger could not answer this query')); // a query appends nothing: never the poison
      return;
    }
    const answer = refusal('VALIDATION_FAILED', 'the event store cannot hold what this command would record', {
      reason: refused.reason,
    });
    this.logger.event('warn', 'refused a command whose events the store cannot hold', {
      command_id: work.meta.command_id,
      reason: refused.reason,
    });
    const recorded = storableIds(work) ? recordedRefusal(answer, work.context) : null;
    if (recorded) {
      const events: NewEvent[] = [];
      const expected = this.state.revision;
      this.apply(recorded, { ...work, meta: withoutUnstorableIds(work.meta) }, events);
      try {
        const appended = await this.store.append(this.stream, events, expected < 0n ? 'no_stream' : expected);
        this.position = appended.lastGlobalPosition.toString();
        this.rememberPositions([item]);
      } catch (error) {
        // Refused again, for what no rule here foresaw: answered, not recorded.
        if (!(error instanceof ContentRefusedError)) {
          await this.failStop([item], error);
          return;
        }
        try {
          await this.rebuild();
        } catch (rebuildError) {
          await this.failStop([item], rebuildError);
          return;
        }
      }
    }
    item.resolve(answer);
  }

  private async failStop(batch: Queued[], error: unknown): Promise<void> {
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
    for (;;) {
      try {
        await this.rebuild();
        return;
      } catch (rebuildError) {
        this.logger.event('error', 'rebuild failed, retrying', { error: (rebuildError as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /**
   * Starts loading the newest snapshot while the service boots (NATS, the writer lock), so a
   * cold start does not wait for both one after the other. The first rebuild takes it. Resolves
   * once loaded (or failed).
   */
  prefetchSnapshot(): Promise<void> {
    const loading = this.snapshots.load(this.options.realm);
    this.prefetched = loading;
    // Nobody need wait for it; a failed prefetch is simply loaded again by the rebuild.
    return loading.then(
      () => undefined,
      () => undefined,
    );
  }

  /** The prefetched snapshot while it is still the newest (a standby may wait long), else a fresh load. */
  private async newestSnapshot(): Promise<StoredSnapshot | undefined> {
    const early = this.prefetched;
    this.prefetched = undefined;
    const snap = await early?.catch(() => undefined);
    if (snap && (await this.snapshots.newestRevision(this.options.realm)) === BigInt(snap.revision)) return snap;
    return this.snapshots.load(this.options.realm);
  }

  /** Loads the newest snapshot (if it matches the stream) and replays the events after it. */
  async rebuild(): Promise<void> {
    const started = Date.now();
    let state = this.emptyState();
    let position = '';
    let snap = await this.newestSnapshot();
    if (snap && !isReadableSnapshot(snap)) {
      // Written by another version of the ledger: the events are the truth, so replay them all.
      this.logger.event('warn', 'ignoring a ledger snapshot of another version', { version: snap.version });
      snap = undefined;
    }
    if (snap) {
      const [atSnapshot] = await this.store.readStream(this.stream, { fromRevision: BigInt(snap.revision), maxCount: 1 });
      if (atSnapshot?.streamPosition === BigInt(snap.revision)) {
        state = restore(snap, state.idempotencyRetentionMs);
        position = atSnapshot.globalPosition.toString();
      }
    }
    const fromSnapshot = state.revision;
    const replayed = await this.replay(state);
    this.state = state;
    this.position = replayed.position ?? position;
    this.warm = true;
    this.snapshotRevision = fromSnapshot;
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
    for (const eventId of dueEvents(this.state, this.options.clock())) {
      if (this.expiring.has(eventId)) continue;
      this.expiring.add(eventId);
      void this.submit(this.systemWork({ type: 'ExpireEvent', event_id: eventId })).finally(() =>
        this.expiring.delete(eventId),
      );
    }
  }

  private maybeSnapshot(): void {
    if (this.state.revision - this.snapshotRevision < BigInt(this.options.snapshotEvery)) return;
    const revision = this.state.revision;
    const json = JSON.stringify(snapshot(this.state));
    this.snapshotRevision = revision;
    this.snapshotting = this.snapshotting
      .then(() => this.snapshots.save(this.options.realm, revision, json))
      .catch((error: Error) => this.logger.event('warn', 'snapshot not saved', { error: error.message }));
  }

  /** The decision time and deadline go with the events, so a rebuild or a standby remembers what this writer remembers. */
  private metadata(event: LedgerEvent, { meta, context }: CommandWork) {
    return {
      schema_version: EVENT_SCHEMA_VERSIONS[event.type],
      correlation_id: meta.correlation_id,
      causation_id: meta.command_id,
      command_id: meta.command_id,
      request_hash: context.request_hash,
      app_id: meta.app_id,
      key_id: meta.key_id,
      decided_at_epoch_ms: context.now.getTime(),
      deadline_epoch_ms: Number.isFinite(meta.deadline_epoch_ms) ? meta.deadline_epoch_ms : null,
    };
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

/** Applies an event as the store holds it (replay and standby alike). */
function evolveRecorded(state: LedgerState, event: RecordedEvent): void {
  evolve(state, {
    ...({ type: event.type, data: event.data } as LedgerEvent),
    metadata: event.metadata as AppliedEvent['metadata'],
    streamPosition: event.streamPosition,
    globalPosition: event.globalPosition,
  });
}

/** Whether the ids a refusal is remembered by (command id, request hash) can be stored at all. */
function storableIds(work: CommandWork): boolean {
  return isText(work.meta.command_id, MAX_REQUEST_ID_LENGTH) && (work.context.request_hash === null || isId(work.context.request_hash));
}

/**
 * The request's meta with every id that breaks the value rules dropped: the controller refuses
 * such requests, but the refusal of a poisoned command must never carry the poison into its
 * event, whoever called.
 */
function withoutUnstorableIds(meta: RequestMeta): RequestMeta {
  const id = (value: string | null) => (value !== null && isId(value) ? value : null);
  const correlation = isText(meta.correlation_id, MAX_REQUEST_ID_LENGTH) ? meta.correlation_id : meta.command_id;
  return { ...meta, correlation_id: correlation, app_id: id(meta.app_id), key_id: id(meta.key_id) };
}

/** A query answered inside a batch reports the position after that batch. */
function patchPosition(reply: Reply<unknown>, position: string): Reply<unknown> {
  if (reply.ok && reply.result && typeof reply.result === 'object' && 'position' in reply.result) {
    return { ok: true, result: { ...(reply.result as object), position } };
  }
  return reply;
}
