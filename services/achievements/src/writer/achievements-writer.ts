import {
  ACHIEVEMENT_KEY_MESSAGE,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  upcastEvent,
  isAchievementKey,
  refusal,
  type AchievementCommand,
  type AchievementCommandBody,
  type AchievementEvent,
  type AchievementQuery,
  type CommandReply,
  type RecordProgress,
  type Refusal,
  type Reply,
  type RequestMeta,
  type Unlock,
} from '@coffer/contracts';
import {
  decideCommand,
  MAX_QUEUED_COMMANDS,
  recordsRefusal,
  stampFor,
  storableIds,
  toAppend,
  unavailable,
  withoutUnstorableIds,
  WriterIntake,
} from '@coffer/decider';
import {
  asFolded,
  poisonedBy,
  WrongExpectedRevisionError,
  type ContentRefusedError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@coffer/event-store';
import { Lru, sleep, type JsonLogger } from '@coffer/platform';
import { isProgressCommand, scopeRefusal, validate, type DecideContext, type DecisionState } from '../domain/decide';
import { achievementsDecider, type AchievementsDecider } from '../domain/decider';
import { evolveAchievement, evolveProgress, type AppliedEvent } from '../domain/evolve';
import { achievementReply } from '../domain/replies';
import { AchievementState, ProgressState } from '../domain/state';
import { achievementStream, progressStream } from '../domain/streams';
import { MAX_ACHIEVEMENTS_PER_APP, type AchievementQuota } from './achievement-quota';
import type { Claim, CommandClaims } from './command-claims';

export interface AchievementsWriterOptions {
  clock: () => Date;
  /** Appends tried for one batch, each after a revision conflict, before answering UNAVAILABLE. */
  maxAttempts: number;
  /** Most commands of one stream decided into one append. */
  maxBatch: number;
  /** Streams whose folded state stays in memory (least recently used ones are forgotten). */
  cacheSize: number;
  /** How long a command sent with an Idempotency-Key is remembered (COFFER_IDEMPOTENCY_RETENTION_HOURS). */
  idempotencyRetentionMs: number;
  /** Most commands waiting in all lanes together, behind the batches in flight. */
  maxQueued: number;
}

export const DEFAULT_WRITER_OPTIONS: AchievementsWriterOptions = {
  clock: () => new Date(),
  maxAttempts: 10,
  maxBatch: 500,
  cacheSize: 100_000,
  idempotencyRetentionMs: DEFAULT_IDEMPOTENCY_RETENTION_MS,
  maxQueued: MAX_QUEUED_COMMANDS,
};

type Answer = Reply<CommandReply<unknown>>;

interface Pending {
  command: AchievementCommand;
  context: DecideContext;
  meta: RequestMeta;
  resolve: (answer: Answer) => void;
  /** Set when the store could not hold what the command decided: it is refused (and that recorded) instead. */
  poisoned?: Refusal;
}

/** How one kind of stream is loaded and kept, for the shared decide loop. */
interface StreamKind<S extends AchievementState | ProgressState> {
  /** The stream's state (caught up with the store), and the streams the decider reads (it among them). */
  load(): Promise<{ state: S; view: DecisionState }>;
  keep(state: S): void;
  forget(): void;
}

const PAGE = 1000;

/**
 * Decides achievements commands with optimistic concurrency per stream.
 *
 * Why OCC and not the ledger's single writer: the ledger's rules span every account (funds,
 * open events), so one writer holding all of it decides exactly without locks. Here no rule
 * crosses streams: a definition decides alone, a progress report reads its definition (whose
 * goal and reward never change) and its own (achievement, user) stream. Contention is per user
 * and achievement, so two writers rarely touch the same stream at once; each append carries the
 * revision it decided on and the store refuses it if the stream moved (WrongExpectedRevision),
 * after which the batch is re-read and re-decided (bounded attempts). The stream revision is the
 * only fence needed: any number of instances share the load through the NATS queue group, with
 * no leader, no election and no standby.
 *
 * Inside one instance, commands for the same stream queue up in a lane and are decided in
 * order, each batch in one append (group commit). So a burst for one user and achievement (a
 * game reporting many increments at once) never conflicts with itself: conflicts, and retries,
 * happen only when two instances write the same stream at the same moment.
 *
 * Folded states are cached (LRU) and caught up with the stream's tail before each decision, so a
 * decision costs one small read and one append whatever the stream's length.
 */
export class AchievementsWriter {
  private readonly definitions: Lru<string, AchievementState>;
  private readonly progress: Lru<string, ProgressState>;
  private readonly lanes = new Map<string, Pending[]>();
  /** Commands in the lanes, not yet taken into a batch. */
  private queued = 0;
  /** Revision conflicts met (each one re-read and re-decided a batch): for tests and metrics. */
  conflicts = 0;
  private readonly decider: AchievementsDecider;
  private readonly intake: WriterIntake;

  constructor(
    private readonly store: EventStore,
    private readonly claims: CommandClaims,
    private readonly quota: AchievementQuota,
    private readonly logger: JsonLogger,
    private readonly options: AchievementsWriterOptions = DEFAULT_WRITER_OPTIONS,
  ) {
    this.definitions = new Lru(Math.max(1, Math.floor(options.cacheSize / 10)));
    this.progress = new Lru(options.cacheSize);
    this.decider = achievementsDecider(options.idempotencyRetentionMs);
    this.intake = new WriterIntake('achievements service', options.maxQueued, options.clock);
  }

  async command(body: AchievementCommandBody, meta: RequestMeta): Promise<Answer> {
    const command = body?.command;
    const invalid = validate(command);
    if (invalid) return invalid;
    if (!meta.app_id) return refusal('FORBIDDEN', 'achievements belong to an app: call with its API key');
    // Before anything is reserved for it (an achievement's place in the app's quota); decide checks again.
    const outOfScope = scopeRefusal(meta.app_scopes);
    if (outOfScope) return outOfScope;
    const late = this.intake.refuseOnArrival(meta);
    if (late) return late;
    const requestHash = typeof body.request_hash === 'string' && body.request_hash !== '' ? body.request_hash : null;
    const context: DecideContext = {
      now: this.options.clock(), // replaced by the decision time when its turn comes
      app_id: meta.app_id,
      app_scopes: meta.app_scopes ?? null,
      command_id: meta.command_id,
      request_hash: requestHash,
    };
    let claim: Claim | undefined;
    try {
      if (requestHash) {
        claim = await this.claims.claim(meta.command_id, requestHash);
        if (claim === 'reused') return refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
      }
      const full = command.type === 'RegisterAchievement' ? await this.quotaRefusal(meta.app_id, command.data.key) : null;
      const answer = full ?? (await this.submit(command, context, meta));
      // A refusal that is recorded keeps its key bound, as the ledger's does: the same request
      // gets it again, another request with the key is a reuse. A 503 decided nothing: kept too,
      // for the retry. Any other refusal (of the caller) lets the key go.
      if (requestHash && claim === 'new' && !answer.ok && answer.code !== 'UNAVAILABLE' && !recordsRefusal(answer, requestHash)) {
        await this.claims.release(meta.command_id, requestHash);
      } else if (requestHash && claim === 'same' && answer.ok && !answer.result.replayed) {
        await this.claims.confirm(meta.command_id, requestHash);
      }
      return answer;
    } catch (error) {
      this.logger.event('error', 'achievements command failed', { correlation_id: meta.correlation_id, error: (error as Error).message });
      return unavailable('the achievements service could not decide this command');
    }
  }

  async query(query: AchievementQuery, meta: RequestMeta): Promise<Reply<unknown>> {
    if (query?.type !== 'GetAchievement') return refusal('VALIDATION_FAILED', 'unknown achievements query');
    if (!isAchievementKey(query.key)) {
      return refusal('VALIDATION_FAILED', 'the query is not valid', { fields: { key: [ACHIEVEMENT_KEY_MESSAGE] } });
    }
    if (!meta.app_id) return refusal('FORBIDDEN', 'achievements belong to an app: call with its API key');
    const outOfScope = scopeRefusal(meta.app_scopes);
    if (outOfScope) return outOfScope;
    try {
      const stream = achievementStream(meta.app_id, query.key);
      const state = (this.definitions.peek(stream) ?? this.newAchievementState()).clone();
      await this.catchUp(stream, state, evolveAchievement);
      if (!state.definition) return refusal('NOT_FOUND', `achievement ${query.key} does not exist`);
      this.keepDefinition(stream, state);
      return { ok: true, result: achievementReply(state.definition) };
    } catch (error) {
      this.logger.event('error', 'achievements query failed', { correlation_id: meta.correlation_id, error: (error as Error).message });
      return unavailable('the achievements service could not read this achievement');
    }
  }

  /**
   * LIMIT_EXCEEDED when the app holds MAX_ACHIEVEMENTS_PER_APP achievements and this key is not
   * one of them. A definition registered before places were kept is in its stream: it takes one.
   */
  private async quotaRefusal(appId: string, key: string): Promise<Answer | null> {
    if (await this.quota.reserve(appId, key)) return null;
    if ((await this.definition(appId, key)).definition) {
      await this.quota.adopt(appId, key);
      return null;
    }
    return refusal('LIMIT_EXCEEDED', `an app may define at most ${MAX_ACHIEVEMENTS_PER_APP} achievements`, {
      limit: 'achievements_per_app',
      maximum: MAX_ACHIEVEMENTS_PER_APP,
    });
  }

  // ---- lanes: one queue per stream, decided in order ------------------------------------------

  private submit(command: AchievementCommand, context: DecideContext, meta: RequestMeta): Promise<Answer> {
    const full = this.intake.refuseWhenFull(this.queued);
    if (full) return Promise.resolve(full);
    this.queued++;
    const appId = context.app_id as string;
    const stream = isProgressCommand(command)
      ? progressStream(appId, command.data.key, command.data.user_id)
      : achievementStream(appId, command.data.key);
    return new Promise((resolve) => {
      const lane = this.lanes.get(stream);
      const item: Pending = { command, context, meta, resolve };
      if (lane) {
        lane.push(item);
        return;
      }
      const queue = [item];
      this.lanes.set(stream, queue);
      void this.drain(stream, queue);
    });
  }

  private async drain(stream: string, queue: Pending[]): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, this.options.maxBatch);
        this.queued -= batch.length;
        const first = batch[0].command;
        const kind = isProgressCommand(first)
          ? this.progressKind(stream, batch[0].context.app_id as string, first)
          : this.achievementKind(stream);
        await this.decideBatch(stream, batch, kind as StreamKind<AchievementState | ProgressState>);
      }
    } catch (error) {
      // decideBatch answers every item itself; this is a last resort so no request hangs.
      this.logger.event('error', 'achievements lane failed', { stream, error: (error as Error).message });
      const left = queue.splice(0);
      this.queued -= left.length;
      for (const item of left) item.resolve(unavailable('the achievements service failed'));
    } finally {
      this.lanes.delete(stream);
    }
  }

  /**
   * Answers, and takes out of the batch, the commands whose sender has stopped waiting at the
   * decision time (it answered 503: deciding them now would apply what their caller was told
   * failed). Asked after the stream is loaded, on every attempt: loading and retrying take time.
   */
  private dropPastDeadline(batch: Pending[], decisionTime: Date): void {
    let kept = 0;
    for (const item of batch) {
      const late = this.intake.refuseIfLate(item.meta, decisionTime);
      if (late) item.resolve(late);
      else batch[kept++] = item;
    }
    batch.length = kept;
  }

  /**
   * Decides a batch of one stream's commands in order on its current state, appends all their
   * events at the revision it was decided on, then answers each. A revision conflict means
   * another instance wrote the stream meanwhile: re-read, re-decide, try again (bounded). Each
   * attempt decides at one decision time (decisionTimeMs of the stream's memory), taken once
   * the stream is loaded.
   */
  private async decideBatch<S extends AchievementState | ProgressState>(stream: string, batch: Pending[], kind: StreamKind<S>) {
    for (let attempt = 1; ; attempt++) {
      const events: NewEvent[] = [];
      const answers: Array<(position: string) => Answer> = [];
      let state: S;
      try {
        const loaded = await kind.load();
        state = loaded.state;
        const expected = state.revision;
        const now = this.intake.decisionTime(state.memory);
        this.dropPastDeadline(batch, now);
        for (const item of batch) {
          item.context.now = now;
          const stamp = stampFor<AppliedEvent>(item.meta, item.context, this.options.idempotencyRetentionMs, item.command);
          const decided = item.poisoned
            ? decideCommand(this.decider, item.command, loaded.view, item.context, stamp, { kind: 'refused', refusal: item.poisoned })
            : decideCommand(this.decider, item.command, loaded.view, item.context, stamp);
          events.push(...toAppend(decided.events));
          answers.push(decided.answer);
        }
        if (batch.length === 0) return;
        if (events.length === 0) {
          kind.keep(state);
          batch.forEach((item, i) => item.resolve(answers[i]('')));
          return;
        }
        const appended = await this.store.append(stream, events, expected < 0n ? 'no_stream' : expected);
        const position = appended.lastGlobalPosition.toString();
        this.rememberPositions(state, batch, position);
        kind.keep(state);
        batch.forEach((item, i) => item.resolve(answers[i](position)));
        return;
      } catch (error) {
        // The state may hold events that are not durable: forget it, the next load re-reads it.
        kind.forget();
        // Only a batch whose own events break the value rules can be refused for its content: any other refusal is the store's fault.
        const poisoned = poisonedBy(error, stream, events);
        if (poisoned) {
          await this.isolatePoison(stream, batch, kind, poisoned);
          return;
        }
        if (error instanceof WrongExpectedRevisionError && attempt < this.options.maxAttempts) {
          this.conflicts++;
          await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
          continue;
        }
        const conflict = error instanceof WrongExpectedRevisionError;
        this.logger.event(conflict ? 'warn' : 'error', conflict ? 'stream kept moving: giving up' : 'could not decide a batch', {
          stream,
          attempts: attempt,
          error: (error as Error).message,
        });
        const answer = unavailable(conflict ? 'this achievement is too busy right now' : 'the achievements store failed');
        for (const item of batch) item.resolve(answer);
        return;
      }
    }
  }

  /**
   * The store refused the batch's append for its content: one command decided something the
   * store cannot hold (decide's value rules should make that impossible). Decided and appended
   * again one command at a time, the poisoned one is found by its own append and refused alone,
   * with a 4xx naming the rule, never the content; the others are appended and answered as
   * usual. With an Idempotency-Key the refusal is recorded (AchievementCommandRefused carries
   * code, message and reason only), like the ledger's: a retry gets it without trying the store
   * again. Should the store refuse that record too, the refusal is answered unrecorded (a retry
   * is decided again and refused the same way).
   */
  private async isolatePoison<S extends AchievementState | ProgressState>(
    stream: string,
    batch: Pending[],
    kind: StreamKind<S>,
    refused: ContentRefusedError,
  ): Promise<void> {
    if (batch.length > 1) {
      this.logger.event('warn', 'the store refused a batch for its content: appending its commands one at a time', {
        stream,
        commands: batch.length,
        reason: refused.reason,
      });
      // Each decided again at its own turn: its deadline is asked again after the load.
      for (const item of batch) await this.decideBatch(stream, [item], kind);
      return;
    }
    const [item] = batch;
    this.logger.event('warn', 'refused a command whose events the store cannot hold', {
      stream,
      command_id: item.meta.command_id,
      reason: refused.reason,
    });
    const answer = refusal('VALIDATION_FAILED', 'the event store cannot hold what this command would record', { reason: refused.reason });
    if (item.poisoned || !recordsRefusal(answer, item.context.request_hash) || !storableIds(item.meta.command_id, item.context.request_hash)) {
      item.resolve(item.poisoned ?? answer);
      return;
    }
    // Recorded with the request's clean ids only: the poison may be in them.
    item.poisoned = answer;
    item.meta = withoutUnstorableIds(item.meta);
    await this.decideBatch(stream, batch, kind);
  }

  /** Commands of this batch that can be asked again remember where their events landed. */
  private rememberPositions(state: AchievementState | ProgressState, batch: Pending[], position: string): void {
    for (const { context } of batch) state.memory.placeAt(context.command_id, Boolean(context.request_hash), position);
  }

  // ---- the two kinds of stream ---------------------------------------------------------------

  /**
   * A definition is decided on a copy: progress lanes read the cached definition concurrently,
   * and must only ever see what is durable.
   */
  private achievementKind(stream: string): StreamKind<AchievementState> {
    return {
      load: async () => {
        const state = (this.definitions.peek(stream) ?? this.newAchievementState()).clone();
        await this.catchUp(stream, state, evolveAchievement);
        return { state, view: { achievement: state } };
      },
      keep: (state) => this.keepDefinition(stream, state),
      forget: () => this.definitions.delete(stream),
    };
  }

  /** A user's progress is only read by its own lane: it is decided in place, and forgotten on failure. */
  private progressKind(stream: string, appId: string, first: RecordProgress | Unlock): StreamKind<ProgressState> {
    return {
      load: async () => {
        const achievement = await this.definition(appId, first.data.key);
        const state = this.progress.get(stream) ?? new ProgressState(this.options.idempotencyRetentionMs);
        this.progress.set(stream, state);
        await this.catchUp(stream, state, evolveProgress);
        return { state, view: { achievement, progress: state } };
      },
      keep: (state) => this.progress.set(stream, state),
      forget: () => this.progress.delete(stream),
    };
  }

  /**
   * The definition a progress report is decided against. Once registered, an achievement never
   * disappears and its goal and reward never change, so a cached one is exact for progress.
   */
  private async definition(appId: string, key: string): Promise<AchievementState> {
    const stream = achievementStream(appId, key);
    const cached = this.definitions.get(stream);
    if (cached?.definition) return cached;
    const state = this.newAchievementState();
    await this.catchUp(stream, state, evolveAchievement);
    if (state.definition) this.keepDefinition(stream, state);
    return state;
  }

  private newAchievementState(): AchievementState {
    return new AchievementState(this.options.idempotencyRetentionMs);
  }

  private keepDefinition(stream: string, state: AchievementState): void {
    const cached = this.definitions.peek(stream);
    if (!cached || cached.revision <= state.revision) this.definitions.set(stream, state);
  }

  /** Folds the events of the stream that the state does not include yet. */
  private async catchUp<S extends { revision: bigint }>(stream: string, state: S, evolve: (state: S, event: AppliedEvent) => void) {
    for (;;) {
      const events = await this.store.readStream(stream, { fromRevision: state.revision + 1n, maxCount: PAGE });
      for (const event of events) evolve(state, applied(event));
      if (events.length < PAGE) return;
    }
  }
}

/** An event as the store holds it, upcast to the current catalog (upcast.ts), as the fold applies it. */
function applied(stored: RecordedEvent): AppliedEvent {
  return asFolded<AchievementEvent, AppliedEvent['metadata']>(upcastEvent(stored));
}
