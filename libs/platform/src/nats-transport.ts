/**
 * NestJS's NATS transport, with subjects resolved from patterns (`ledger.{realm}.commands`) by
 * COFFER_NATS_PREFIX and the realm, so instances and test runs never hear each other.
 */
import { ClientNats, NatsContext, RpcException, ServerNats, type MessageHandler, type NatsOptions } from '@nestjs/microservices';
import type { Msg, MsgHdrs, NatsError, Subscription } from 'nats';
import { subjectOf, writerPattern, type ServiceSender, type Signer } from '@coffer/contracts';
import { isObservable, lastValueFrom } from 'rxjs';
import { encodeBatchReply, type BatchReply, type ReplyPacket } from './request-batch';
import type { BatchAdmission, RequestDoor } from './request-door';
import type { RequestSigner } from './request-signature';
import { NATS_RECONNECT_OPTIONS } from './resilience';

export interface SubjectScope {
  prefix: string;
  realm: string;
}

type NatsClientOptions = NonNullable<NatsOptions['options']>;

/**
 * Extras of a handler that takes unsigned requests: `@MessagePattern(pattern, UNSIGNED_REQUESTS)`.
 * Only the health probes, which change nothing and answer only liveness and role, so a container
 * health check needs no secret. Every other handler gets only what the door admitted.
 */
export const UNSIGNED_REQUESTS = { unsigned: true } as const;

/** How long a starting service waits for NATS to confirm its subscriptions (one round trip). */
const SUBSCRIBED_WITHIN_MS = 10_000;

/** The context of an admitted request: its sender, as its signature proved. */
export class SignedNatsContext extends NatsContext {
  constructor(
    args: ConstructorParameters<typeof NatsContext>[0],
    readonly sender: ServiceSender,
  ) {
    super(args);
  }
}

/** The proven sender of a request a handler got through the door. */
export function senderOf(context: NatsContext): ServiceSender {
  // Only the door makes a SignedNatsContext: a handler declared UNSIGNED_REQUESTS has no sender.
  if (!(context instanceof SignedNatsContext)) throw new Error('this handler takes unsigned requests: it has no proven sender');
  return context.sender;
}

/** The answers of one batch, sent to its reply subject once per event-loop turn. */
class BatchReplies {
  private pending: BatchReply['replies'] = [];

  constructor(private readonly message: Msg) {}

  add(token: string, reply: ReplyPacket): void {
    if (!this.message.reply) return; // sent without a reply subject: nobody waits
    this.pending.push({ t: token, r: reply });
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  /** Sends what is gathered (also called once the batch's last answer is in, before the server may close). */
  flush(): void {
    if (this.pending.length === 0) return;
    const replies = this.pending;
    this.pending = [];
    try {
      this.message.respond(encodeBatchReply(replies));
    } catch {
      // The connection closed under it (a shutdown): the sender times out and retries, and the
      // command ids make the retry safe. Thrown from a timer, it would end the process.
    }
  }
}

export class ScopedNatsServer extends ServerNats {
  private readonly scopedSubscriptions = new Map<string, Subscription>();
  private readonly gated = new Set<string>();
  private gateOpen = false;
  /** While the gate is open: the token of this instance's own subjects (see openGate). */
  private ownToken: string | undefined;
  private readonly ownSubscriptions: Subscription[] = [];
  private connection: Parameters<ServerNats['bindEvents']>[0] | undefined;
  private inFlight = 0;
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(
    private readonly natsOptions: NatsClientOptions & { gracePeriodMs?: number },
    private readonly scope: SubjectScope,
    private readonly door: RequestDoor,
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

  /**
   * Publishes on a pattern's subject, signed as `signer` for that subject (dropped by nats.js
   * while it reconnects); false once closed.
   */
  publish(pattern: string, data: Uint8Array, signer: Signer): boolean {
    if (!this.connection || this.connection.isClosed()) return false;
    const subject = subjectOf(pattern, this.scope.prefix, this.scope.realm);
    this.connection.publish(subject, data, { headers: this.door.signedHeaders(signer, subject, data) });
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

  /**
   * Nest's handleMessage, with the door in front for every handler not declared
   * UNSIGNED_REQUESTS: the signature is checked on the raw bytes, the packet parsed once, and
   * what the door refuses is answered with an error packet (so a client retries instead of
   * taking it for the service's answer) without reaching a handler.
   */
  override async handleMessage(channel: string, message: Msg): Promise<void> {
    const handler = this.getHandlerByPattern(channel);
    if (!handler || handler.extras?.unsigned === true) return super.handleMessage(channel, message);
    const admission = this.door.admit(message);
    if (!admission.ok) {
      if (message.reply) {
        const err = { code: 'UNAUTHENTICATED', message: `refused: ${admission.reason.replace(/_/g, ' ')}`, reason: admission.reason };
        // No packet id: an unsigned packet is not parsed, and Nest's client takes a reply without one.
        message.respond(Buffer.from(JSON.stringify({ err, isDisposed: true })));
      }
      return;
    }
    const context = new SignedNatsContext([message.subject, message.headers], admission.sender);
    if (admission.batch) return this.answerBatch(handler, admission.batch, context, message);
    const { packet } = admission;
    if (packet.id === undefined) return this.handleEvent(channel, { pattern: channel, data: packet.data }, context);
    const publish = this.getPublisher(message, packet.id, context);
    return this.onProcessingStartHook(this.transportId, context, async () => {
      const response$ = this.transformToObservable(await handler(packet.data, context));
      if (response$) this.send(response$, publish);
    });
  }

  /**
   * Each request of a batch goes to the handler as if it had come alone; the answers that settle
   * in one event-loop turn go back as one message (request-batch.ts), so a batch whose commands
   * share a group commit is answered once. Resolves when every request of the batch is answered.
   */
  private async answerBatch(handler: MessageHandler, batch: BatchAdmission[], context: SignedNatsContext, message: Msg): Promise<void> {
    const replies = new BatchReplies(message);
    await Promise.all(
      batch.map(async (entry) => {
        if (!entry.ok) {
          replies.add(entry.token, { err: { code: 'UNAUTHENTICATED', message: `refused: ${entry.reason.replace(/_/g, ' ')}`, reason: entry.reason }, isDisposed: true });
          return;
        }
        const id = entry.packet.id;
        try {
          const result: unknown = await this.onProcessingStartHook(this.transportId, context, () => handler(entry.packet.data, context));
          const response = isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
          replies.add(entry.token, { id, response, isDisposed: true });
        } catch (error) {
          // Nest's proxy hands a handler's failure over already filtered (a plain object); an
          // Error that escaped it is ours, answered as Nest answers one, without its message.
          const err = error instanceof RpcException ? error.getError() : error instanceof Error ? { status: 'error', message: 'Internal server error' } : error;
          replies.add(entry.token, { id, err, isDisposed: true });
        }
      }),
    );
    // Sent now, not at the end of the turn: a graceful close waits only for what is in flight.
    replies.flush();
  }

  override bindEvents(client: Parameters<ServerNats['bindEvents']>[0]): void {
    this.connection = client;
    this.subscribeAll(client);
  }

  /**
   * Started means reachable: `listen()` resolves once the NATS server has our subscriptions (a
   * flush is a round trip after them), not when they are only written to the socket. Otherwise
   * a request sent the moment a service says it started can find no one listening and wait out
   * its whole timeout (seen: a test's first request to a restarted notifier, 503 after 5 s).
   */
  override start(callback: (error?: unknown) => void): void {
    // Nest's start subscribes (bindEvents, which keeps the connection) and then calls back.
    super.start(() => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`NATS did not confirm the subscriptions within ${SUBSCRIBED_WITHIN_MS} ms`)), SUBSCRIBED_WITHIN_MS);
      });
      Promise.race([this.connection!.flush(), deadline])
        .then(() => callback(), (error: unknown) => callback(error))
        .finally(() => clearTimeout(timer));
    });
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

  /** Something that lives as long as the service (its metrics endpoint), closed after NATS. */
  closeWith(closer: () => Promise<void>): void {
    this.closers.push(closer);
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
    for (const closer of this.closers.splice(0)) await closer();
  }
}

/** Nest's NATS client on scoped subjects, signing every request it sends as `signer.sender`. */
export class ScopedNatsClient extends ClientNats {
  constructor(
    options: NatsClientOptions,
    private readonly scope: SubjectScope,
    signer: RequestSigner,
  ) {
    super({
      ...NATS_RECONNECT_OPTIONS,
      ...options,
      serializer: new SigningSerializer(signer, (pattern) => subjectOf(pattern, scope.prefix, scope.realm)),
    });
  }

  protected override normalizePattern(pattern: unknown): string {
    return subjectOf(super.normalizePattern(pattern as string), this.scope.prefix, this.scope.realm);
  }
}

/**
 * Nest's request packet as JSON (what its NatsRecordSerializer writes for plain data), with the
 * signature of those exact bytes on the subject the pattern resolves to.
 */
class SigningSerializer {
  constructor(
    private readonly signer: RequestSigner,
    private readonly subjectOf: (pattern: string) => string,
  ) {}

  serialize(packet: { pattern: string; data: unknown; id?: string }): { data: Uint8Array; headers: MsgHdrs } {
    const data = Buffer.from(JSON.stringify(packet), 'utf8');
    return { data, headers: this.signer.keys.signedHeaders(this.signer.sender, this.subjectOf(packet.pattern), data) };
  }
}
