import {
  connect,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
  type NatsError,
  type StreamConfig,
} from 'nats';
import type { Pool } from 'pg';
import { contextOf, isPublicEventType, subjects, upcastEvent, type PublicEventType, type Subjects } from '@coffer/contracts';
import { toEnvelope, type EventStore, type RecordedEvent, type Subscription } from '@coffer/event-store';
import { NATS_RECONNECT_OPTIONS, natsConnectionOptions, retryDelayMs, sleep, type JsonLogger, type NatsEndpoint } from '@coffer/platform';
import { ensureQuarantine, FEED_CONSUMER, quarantine } from '../quarantine';
import { importedJetStreamApi, mirrorConfig } from './feed-mirror';
import { JetStreamPublisher, type FeedMessage } from './jetstream-publisher';

/** JetStream's error code for a stream that does not exist (JSStreamNotFoundErr). */
const STREAM_NOT_FOUND = 10059;
/** Room left in a NATS message for the headers a JetStream publish adds (message id, expected sequence). */
const HEADER_ROOM_BYTES = 1024;
/** How long a batch's acknowledgements may take before the batch fails (and is published again from the stream). */
const BATCH_DEADLINE_MS = 5000;
const codec = JSONCodec();

/**
 * Publishes every domain event to JetStream by tailing the store (never a dual write from the
 * ledger). The stream itself is the checkpoint: on every (re)start the publisher reads the last
 * message's global position and goes on after it, with Nats-Msg-Id = event id, so a crash of
 * the publisher or of NATS loses and duplicates nothing and keeps store order.
 *
 * A batch is published pipelined, not one acknowledged message at a time (the one-at-a-time
 * version spent a third of the projector's CPU in socket writes): message i of the batch
 * expects the stream's last sequence to be the one before it (Nats-Expected-Last-Sequence), so
 * if any message fails, every later one is refused by the server rather than stored out of
 * order; the batch then fails and publishing resumes after the stream's real last message.
 *
 * An event no NATS message can carry (larger than the server's max_payload) would stop the
 * feed on it for ever: it is quarantined instead (../quarantine.ts), and the feed goes on.
 *
 * Only public event types are published (those with a schema in the feed's contract,
 * @coffer/contracts events/schemas.ts). Internal ones (writer terms, refusals, API keys) are not
 * published anywhere: nothing reads them from NATS (the gateway tails the key events from the
 * store, a writer reads its terms from its own stream), and a key hash must never reach a reader
 * of the feed. Skipping them costs nothing on resume: the last published event's position is
 * still where the store is read from again.
 */
export class AnalyticsFeed {
  private nc: NatsConnection | undefined;
  private publisher: JetStreamPublisher | undefined;
  private subscription: Subscription | undefined;
  private stopped = false;
  /** The stream's last sequence as of our last acknowledged publish (or the restart). */
  private lastSequence = 0;
  private loop: Promise<void> | undefined;
  private quarantineReady = false;
  private readonly subjects: Subjects;
  published = 0;
  /** Where the feed stands (feed-metrics.ts): the last event handled, once it knows (`resumed`). */
  position: bigint | undefined;
  resumed = false;

  constructor(
    store: EventStore,
    /** With `feedMirrorAccount`: analytics reads a mirror of the stream in that NATS account (feed-mirror.ts). */
    private readonly nats: NatsEndpoint & { feedMirrorAccount?: string | undefined },
    private readonly prefix: string,
    private readonly logger: JsonLogger,
    /** Where unpublishable events are quarantined. */
    private readonly pool: Pool,
    /** Where the events come from: the process's SharedReader (projector.module.ts), or the store itself. */
    private readonly tail: Pick<EventStore, 'subscribeToAll'> = store,
  ) {
    this.subjects = subjects(prefix);
  }

  start(): void {
    this.loop = this.run();
  }

  /**
   * Every (re)start goes the whole way: connection, stream, last message, subscription. A step
   * that failed (JetStream not ready just after NATS started, a stream lost) is done again on
   * the next attempt, never taken as done because an earlier step was.
   */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.ensureQuarantine();
        const nc = await this.connection();
        await this.ensureStream(nc);
        const after = await this.lastPublished(nc);
        [this.position, this.resumed] = [after, true];
        // Stopped while starting: a subscription made now would have nobody to stop it.
        if (this.stopped) return;
        const publish = async (events: RecordedEvent[]) => {
          await this.publish(events);
          failures = 0;
        };
        this.subscription = this.tail.subscribeToAll(publish, { after, batchSize: 500, minReadIntervalMs: 50 });
        await this.subscription.done;
      } catch (error) {
        if (this.stopped) return;
        failures++;
        // Every failure while NATS is away would say the same: the first one is enough.
        this.logger.event(failures === 1 ? 'warn' : 'debug', 'analytics feed paused, resuming from the stream', {
          error: (error as Error).message,
          attempt: failures,
        });
        await sleep(retryDelayMs(failures));
      }
    }
  }

  private async ensureQuarantine(): Promise<void> {
    if (!this.quarantineReady) await ensureQuarantine(this.pool);
    this.quarantineReady = true;
  }

  private async connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return this.nc;
    const options = natsConnectionOptions(this.nats);
    this.nc = await connect({
      ...options,
      name: 'coffer-analytics-feed',
      ...NATS_RECONNECT_OPTIONS,
      // The loop retries a first connection that fails; one that waited for NATS could not be
      // given up on, and stop() would wait for it.
      waitOnFirstConnect: false,
      // A stack trace captured per publish was 7% of this process's CPU; a failed publish is
      // retried from the stream's last message either way.
      noAsyncTraces: true,
    });
    this.publisher?.close();
    this.publisher = new JetStreamPublisher(this.nc, options.inboxPrefix);
    return this.nc;
  }

  /** Makes the stream, and analytics' mirror of it, when missing (first start, or lost with NATS's store). */
  private async ensureStream(nc: NatsConnection): Promise<void> {
    await ensure(await nc.jetstreamManager(), {
      name: this.subjects.eventsStream,
      subjects: [this.subjects.allEvents],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: 2 * 60 * 1_000_000_000,
    });
    const account = this.nats.feedMirrorAccount;
    if (account === undefined) return;
    // Its account's API answers only for this stream: no API info to check first.
    await ensure(await nc.jetstreamManager({ apiPrefix: importedJetStreamApi(account), checkAPI: false }), mirrorConfig(this.prefix));
  }

  /** Global position of the newest event in the stream: where publishing resumes. */
  private async lastPublished(nc: NatsConnection): Promise<bigint | undefined> {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(this.subjects.eventsStream);
    this.lastSequence = info.state.last_seq;
    if (info.state.last_seq === 0 || info.state.messages === 0) return undefined;
    const last = await jsm.streams.getMessage(this.subjects.eventsStream, { seq: info.state.last_seq });
    return BigInt((codec.decode(last.data) as { global_position: string }).global_position);
  }

  private async publish(stored: RecordedEvent[]): Promise<void> {
    const messages: FeedMessage[] = [];
    for (const recorded of stored) {
      // Published as the current catalog names and shapes it, whatever version the store holds.
      let event: RecordedEvent;
      let error: Error | undefined;
      try {
        event = upcastEvent(recorded);
      } catch (failure) {
        event = recorded;
        error = failure as Error;
      }
      if (!error) {
        if (!isPublicEventType(event.type)) continue;
        const data = codec.encode(toEnvelope(event));
        const limit = (this.nc?.info?.max_payload ?? Number.POSITIVE_INFINITY) - HEADER_ROOM_BYTES;
        if (data.length <= limit) {
          const type = event.type as PublicEventType;
          messages.push({ subject: this.subjects.event(contextOf(type), type), data, msgId: event.id });
          continue;
        }
        error = new Error(`its message of ${data.length} bytes exceeds the ${limit} bytes a NATS message may carry here`);
      }
      await quarantine(this.pool, FEED_CONSUMER, event, error);
      this.logger.event('error', 'quarantined an event the analytics feed cannot publish', {
        event_id: event.id,
        position: event.globalPosition.toString(),
        type: event.type,
        error: error.message,
      });
    }
    const acks = messages.length > 0 ? await this.publisher!.publishBatch(messages, this.lastSequence, BATCH_DEADLINE_MS) : [];
    // A duplicate (a message the stream already holds) comes back with its old sequence: out of step too.
    for (const ack of acks) {
      if (ack.seq !== ++this.lastSequence) throw new Error(`feed out of step: stored at ${ack.seq}, expected ${this.lastSequence}`);
    }
    this.published += messages.length;
    if (stored.length > 0) this.position = stored[stored.length - 1].globalPosition;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.loop;
    this.publisher?.close();
    await this.nc?.drain().catch(() => undefined);
  }
}

/** Adds the stream unless one of its name exists. */
async function ensure(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if ((error as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
    await jsm.streams.add(config);
  }
}
