/**
 * NestJS's NATS transport, with subjects resolved from patterns (`ledger.{realm}.commands`) by
 * COFFER_NATS_PREFIX and the realm, so instances and test runs never hear each other.
 */
import { ClientNats, ServerNats, type NatsOptions } from '@nestjs/microservices';
import type { Msg, NatsError, Subscription } from 'nats';
import { subjectOf, writerPattern } from '@coffer/contracts';
import { NATS_RECONNECT_OPTIONS } from './resilience';

export interface SubjectScope {
  prefix: string;
  realm: string;
}

type NatsClientOptions = NonNullable<NatsOptions['options']>;

export class ScopedNatsServer extends ServerNats {
  private readonly scopedSubscriptions = new Map<string, Subscription>();
  private readonly gated = new Set<string>();
  private gateOpen = false;
  /** While the gate is open: the token of this instance's own subjects (see openGate). */
  private ownToken: string | undefined;
  private readonly ownSubscriptions: Subscription[] = [];
  private connection: Parameters<ServerNats['bindEvents']>[0] | undefined;
  private inFlight = 0;

  constructor(
    private readonly natsOptions: NatsClientOptions & { gracePeriodMs?: number },
    private readonly scope: SubjectScope,
  ) {
    super({ ...natsOptions, gracefulShutdown: false });
  }

  /**
   * Patterns subscribed only while the gate is open: a hot standby must not be in the queue
   * group of the writer's commands, or NATS would hand it half of them.
   */
  gate(...patterns: string[]): void {
    for (const pattern of patterns) this.gated.add(pattern);
  }

  /**
   * Joins the gated patterns' subjects; with `ownToken`, also each one's own subject of this
   * instance (`<subject>.<ownToken>`, no queue group), where senders that heard it announced
   * reach it alone.
   */
  openGate(ownToken?: string): void {
    this.gateOpen = true;
    this.ownToken = ownToken;
    if (this.connection) this.subscribeAll(this.connection);
  }

  closeGate(): void {
    this.gateOpen = false;
    this.ownToken = undefined;
    for (const pattern of this.gated) {
      this.scopedSubscriptions.get(pattern)?.unsubscribe();
      this.scopedSubscriptions.delete(pattern);
    }
    for (const subscription of this.ownSubscriptions.splice(0)) subscription.unsubscribe();
  }

  /** Publishes on a pattern's subject (dropped by nats.js while it reconnects); false once closed. */
  publish(pattern: string, data: Uint8Array): boolean {
    if (!this.connection || this.connection.isClosed()) return false;
    this.connection.publish(subjectOf(pattern, this.scope.prefix, this.scope.realm), data);
    return true;
  }

  /**
   * Our subscriptions dispatch by the exact pattern a handler was declared with, so the lookup
   * is a map get. Nest's own first tries `JSON.parse` on the pattern, which throws for every
   * plain-string pattern: 9% of the ledger's CPU under load went to those exceptions.
   */
  override getHandlerByPattern(pattern: string) {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  override bindEvents(client: Parameters<ServerNats['bindEvents']>[0]): void {
    this.connection = client;
    this.subscribeAll(client);
  }

  // Subscribe to the scoped subject but dispatch by the pattern handlers were declared with.
  private subscribeAll(client: Parameters<ServerNats['bindEvents']>[0]): void {
    for (const [pattern, handler] of this.messageHandlers) {
      if (this.scopedSubscriptions.has(pattern) || (this.gated.has(pattern) && !this.gateOpen)) continue;
      const subject = subjectOf(pattern, this.scope.prefix, this.scope.realm);
      const dispatch = this.getMessageHandler(pattern).bind(this);
      const callback = (error: NatsError | null, message: Msg) => {
        this.inFlight++;
        void Promise.resolve(dispatch(error, message)).finally(() => this.inFlight--);
      };
      const subscription = client.subscribe(subject, { queue: handler.extras?.queue ?? this.natsOptions.queue, callback });
      this.scopedSubscriptions.set(pattern, subscription);
      if (this.gated.has(pattern) && this.ownToken) {
        const own = subjectOf(writerPattern(pattern, this.ownToken), this.scope.prefix, this.scope.realm);
        this.ownSubscriptions.push(client.subscribe(own, { callback }));
      }
    }
  }

  /** Graceful: stop taking requests, let the ones in flight answer (bounded), then disconnect. */
  override async close(): Promise<void> {
    for (const subscription of this.scopedSubscriptions.values()) subscription.unsubscribe();
    this.scopedSubscriptions.clear();
    for (const subscription of this.ownSubscriptions.splice(0)) subscription.unsubscribe();
    this.connection = undefined;
    const deadline = Date.now() + (this.natsOptions.gracePeriodMs ?? 5000);
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await super.close();
  }
}

export class ScopedNatsClient extends ClientNats {
  constructor(
    options: NatsClientOptions,
    private readonly scope: SubjectScope,
  ) {
    super({ ...NATS_RECONNECT_OPTIONS, ...options });
  }

  protected override normalizePattern(pattern: unknown): string {
    return subjectOf(super.normalizePattern(pattern as string), this.scope.prefix, this.scope.realm);
  }
}
