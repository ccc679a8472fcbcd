import { randomUUID } from 'node:crypto';
import {
  EVENT_SCHEMA_VERSIONS,
  refusal,
  type CommandReply,
  type LedgerCommandBody,
  type LedgerEvent,
  type LedgerQuery,
  type Refusal,
  type Reply,
  type RequestMeta,
} from '@coffer/contracts';
import { WrongExpectedRevisionError, type EventStore, type NewEvent } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
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

const unavailable = (why: string) => refusal('UNAVAILABLE', `${why}: retry with the same Idempotency-Key`);

/**
 * The realm's single writer (DESIGN.md, "The ledger"): holds every account and open event in
 * memory, decides commands one at a time against that exact state, appends each batch's events
 * in one store round trip, and answers only once the batch is durable. A failed append is
 * fail-stop: the batch is refused and the state rebuilt from the store.
 */
export class LedgerWriter {
  private state = new LedgerState();
  private position = '';
  private queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  private leading = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly expiring = new Set<number>();
  private snapshotRevision = -1n;
  private snapshotting: Promise<void> = Promise.resolve();
  private prefetched: Promise<StoredSnapshot | undefined> | undefined;
  /** Called when another writer took the stream: this one must stop leading. */
  onFenced: () => void = () => undefined;

  constructor(
    private readonly store: EventStore,
    private readonly snapshots: SnapshotStore,
    private readonly logger: JsonLogger,
    private readonly options: LedgerWriterOptions,
  ) {}

  get stream(): string {
    return `ledger-${this.options.realm}`;
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** Rebuilds the state and fences any older writer by starting a new term on the stream. */
  async lead(): Promise<void> {
    await this.rebuild();
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
    });
  }

  /** Stops deciding: finishes the batch in flight, refuses what is still queued. */
  async stepDown(): Promise<void> {
    clearInterval(this.sweeper);
    this.leading = false;
    await this.draining;
    for (const item of this.queue.splice(0)) item.resolve(unavailable('the ledger is changing writers'));
    await this.snapshotting;
  }

  /** `sender`: whose signature the NATS door checked (never the ledger: it does not sign). */
  command(body: LedgerCommandBody, meta: RequestMeta, sender: Exclude<CommandSender, 'ledger'>): Promise<Reply<unknown>> {
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
      const batch = this.queue.splice(0, this.options.maxBatch);
      await this.decideBatch(batch);
    }
  }

  /** Decides a batch in order, appends its events at once, then answers every item. */
  private async decideBatch(batch: Queued[]): Promise<void> {
    const expected = this.state.revision;
    const events: NewEvent[] = [];
    const answers: Array<(position: string) => Reply<unknown>> = [];
    for (const { work } of batch) {
      if (work.kind === 'query') {
        const reply = answer(this.state, work.query, this.position);
        answers.push((position) => patchPosition(reply, position));
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
        await this.failStop(batch, error);
        return;
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(answers[i](this.position));
    this.maybeSnapshot();
  }

  /** Evolves the state by a decided event and queues it for this batch's append; returns its reply. */
  private apply(event: LedgerEvent, work: CommandWork, events: NewEvent[]): unknown {
    const metadata = this.metadata(event, work.meta, work.context.request_hash);
    events.push({ id: randomUUID(), type: event.type, data: event.data, metadata });
    return evolve(this.state, { ...event, metadata });
  }

  /** Idempotent commands of this batch remember where they landed, for their replays. */
  private rememberPositions(batch: Queued[]): void {
    for (const { work } of batch) {
      if (work.kind !== 'command' || !work.context.request_hash) continue;
      const decided = this.state.commands.get(work.context.command_id);
      if (decided && decided.position === '') decided.position = this.position;
    }
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
    let state = new LedgerState();
    let snap = await this.newestSnapshot();
    if (snap && !isReadableSnapshot(snap)) {
      // Written by another version of the ledger: the events are the truth, so replay them all.
      this.logger.event('warn', 'ignoring a ledger snapshot of another version', { version: snap.version });
      snap = undefined;
    }
    if (snap) {
      const [atSnapshot] = await this.store.readStream(this.stream, { fromRevision: BigInt(snap.revision), maxCount: 1 });
      if (atSnapshot?.streamPosition === BigInt(snap.revision)) {
        state = restore(snap);
        this.position = atSnapshot.globalPosition.toString();
      }
    }
    const fromSnapshot = state.revision;
    const page = 5000;
    for (;;) {
      const events = await this.store.readStream(this.stream, { fromRevision: state.revision + 1n, maxCount: page });
      for (const event of events) {
        evolve(state, {
          ...({ type: event.type, data: event.data } as LedgerEvent),
          metadata: event.metadata as AppliedEvent['metadata'],
          streamPosition: event.streamPosition,
          globalPosition: event.globalPosition,
        });
        this.position = event.globalPosition.toString();
      }
      if (events.length < page) break;
    }
    this.state = state;
    this.snapshotRevision = fromSnapshot;
    this.expiring.clear();
    this.logger.event('info', 'ledger state rebuilt', {
      snapshot_revision: fromSnapshot,
      revision: state.revision,
      replayed: (state.revision - fromSnapshot).toString(),
      ms: Date.now() - started,
    });
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

  private metadata(event: LedgerEvent, meta: RequestMeta, requestHash: string | null) {
    return {
      schema_version: EVENT_SCHEMA_VERSIONS[event.type],
      correlation_id: meta.correlation_id,
      causation_id: meta.command_id,
      command_id: meta.command_id,
      request_hash: requestHash,
      app_id: meta.app_id,
      key_id: meta.key_id,
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

/** A query answered inside a batch reports the position after that batch. */
function patchPosition(reply: Reply<unknown>, position: string): Reply<unknown> {
  if (reply.ok && reply.result && typeof reply.result === 'object' && 'position' in reply.result) {
    return { ok: true, result: { ...(reply.result as object), position } };
  }
  return reply;
}
