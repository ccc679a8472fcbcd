import { connect, JSONCodec, RetentionPolicy, StorageType, type JetStreamClient, type NatsConnection } from 'nats';
import { contextOf, isDomainEventType, subjects, type Subjects } from '@coffer/contracts';
import { toEnvelope, type EventStore, type RecordedEvent, type Subscription } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';

const RETRY_MS = 500;
const codec = JSONCodec();

/**
 * Publishes every domain event to JetStream by tailing the store (never a dual write from the
 * ledger). The stream itself is the checkpoint: on every (re)start the publisher reads the last
 * message's global position and goes on after it, publishing one event at a time with
 * Nats-Msg-Id = event id, so a crash of the publisher or of NATS loses and duplicates nothing
 * and keeps store order.
 */
export class AnalyticsFeed {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private subscription: Subscription | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly subjects: Subjects;
  published = 0;

  constructor(
    private readonly store: EventStore,
    private readonly natsUrl: string,
    prefix: string,
    private readonly logger: JsonLogger,
  ) {
    this.subjects = subjects(prefix);
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connect();
        const after = await this.lastPublished();
        this.subscription = this.store.subscribeToAll((events) => this.publish(events), { after, batchSize: 500, minReadIntervalMs: 25 });
        await this.subscription.done;
      } catch (error) {
        if (this.stopped) return;
        this.logger.event('warn', 'analytics feed paused, resuming from the stream', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.nc && !this.nc.isClosed()) return;
    this.nc = await connect({
      servers: this.natsUrl.split(','),
      name: 'coffer-analytics-feed',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const jsm = await this.nc.jetstreamManager();
    const name = this.subjects.eventsStream;
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({
        name,
        subjects: [this.subjects.allEvents],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: 2 * 60 * 1_000_000_000,
      });
    }
    this.js = this.nc.jetstream();
  }

  /** Global position of the newest event in the stream: where publishing resumes. */
  private async lastPublished(): Promise<bigint | undefined> {
    const jsm = await this.nc!.jetstreamManager();
    const info = await jsm.streams.info(this.subjects.eventsStream);
    if (info.state.last_seq === 0 || info.state.messages === 0) return undefined;
    const last = await jsm.streams.getMessage(this.subjects.eventsStream, { seq: info.state.last_seq });
    return BigInt((codec.decode(last.data) as { global_position: string }).global_position);
  }

  private async publish(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (!isDomainEventType(event.type)) continue;
      const subject = this.subjects.event(contextOf(event.type), event.type);
      await this.js!.publish(subject, codec.encode(toEnvelope(event)), { msgID: event.id, timeout: 5000 });
      this.published++;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.loop;
    await this.nc?.drain().catch(() => undefined);
  }
}
