import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { DEFAULT_REALM, realmOfApp, type Reply, type Request, type RequestMeta } from '@coffer/contracts';
import {
  CONFIG,
  loadServiceKeys,
  LOGGER,
  NATS_RECONNECT_OPTIONS,
  natsConnectionOptions,
  ServiceKeyring,
  waitingForPostgres,
  type CofferConfig,
  type JsonLogger,
} from '@coffer/platform';
import { ApiError } from '../http/api-error';
import { RealmRoutings } from './realm-routings';
import { ReplyInbox } from './reply-inbox';
import type { WriterRouting } from './writer-routing';

/** Who sends a request, and for which HTTP request (its correlation id; a new one when there is none). */
export type Caller = Pick<RequestMeta, 'app_id' | 'key_id' | 'app_scopes' | 'admin_token_id'> & { correlation_id?: string };

const SYSTEM: Caller = { app_id: null, key_id: null };

/** Longest part of a service's error reply quoted in the gateway's log line. */
const MAX_QUOTED_ERROR_CHARS = 1_000;

/**
 * The service answered with an error instead of a reply: its door refused the request (a
 * COFFER_SERVICE_KEY that does not match after a bad rotation, clocks far apart) or its handler
 * threw. A fault of the deployment or of our code, never the client's, and retrying will not
 * mend it: it is answered 500 and logged by the error filter, with what the service said.
 */
export class BackendFailure extends Error {
  override readonly name = 'BackendFailure';
  constructor(
    pattern: string,
    readonly err: unknown,
  ) {
    super(`${pattern} answered with an error: ${JSON.stringify(err)?.slice(0, MAX_QUOTED_ERROR_CHARS)}`);
  }

  /**
   * The door refused it as past its deadline: it reached the service too late (a slow delivery,
   * or a resend at the end of its wait), which is a request not answered in time.
   */
  get late(): boolean {
    return (this.err as { reason?: unknown } | null)?.reason === 'past_deadline';
  }
}

/**
 * NATS request/reply to the backend services, always with a timeout. A request that gets no
 * answer in time (or finds nobody listening, or no connection to NATS) is UNAVAILABLE: its
 * outcome is unknown, so the client retries with the same Idempotency-Key and the ledger's
 * command-id dedupe makes the retry safe. A service that answers with an error is a
 * BackendFailure (500), not an outage.
 *
 * It speaks NestJS's packet format (`{pattern, data, id}` → `{id, response | err}`) over one
 * multiplexed reply inbox (ReplyInbox). `ClientNats.send` subscribes and unsubscribes a fresh
 * inbox per request: two extra protocol messages and a subscription object on the hottest path
 * of the system (a profile showed it as the gateway's largest NATS cost).
 */
@Injectable()
export class NatsRequestClient implements OnModuleInit, OnApplicationShutdown {
  private connection: NatsConnection | undefined;
  private inbox: ReplyInbox | undefined;
  /** Each realm's writer routing (ledger requests go to the realm they are for). */
  private routings: RealmRoutings | undefined;
  /** Every request is signed as the gateway (request-signature.ts): the services obey nothing else. */
  private keys: ServiceKeyring | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: CofferConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.keys = new ServiceKeyring(await loadServiceKeys(this.config, waitingForPostgres(this.logger)));
    const options = natsConnectionOptions(this.config);
    this.connection = await connect({
      ...options,
      name: 'coffer-gateway',
      ...NATS_RECONNECT_OPTIONS,
      // No stack trace captured per request (4% of the gateway's CPU): a timeout is answered
      // as UNAVAILABLE with the pattern, which says all a trace would.
      noAsyncTraces: true,
    });
    const keys = this.keys;
    this.inbox = new ReplyInbox(this.connection, (subject, payload) => keys.signedHeaders('gateway', subject, payload), undefined, options.inboxPrefix);
    this.routings = new RealmRoutings(this.connection, this.config.natsPrefix, this.config.realm, this.keys);
  }

  /** Ledger requests sent again to a new writer after a takeover. */
  get resent(): number {
    return this.routings?.resent ?? 0;
  }

  /** Requests sent in batches, and the messages they left in. */
  get batched(): { requests: number; messages: number } {
    return this.inbox?.batched ?? { requests: 0, messages: 0 };
  }

  async onApplicationShutdown(): Promise<void> {
    this.routings?.close();
    await this.connection?.drain().catch(() => undefined);
    this.inbox?.close();
  }

  /**
   * Sends one request and returns its result, or throws the refusal as an ApiError. A ledger
   * request goes to `realm`'s writer: by default the calling app's realm (its id names it), or
   * the default realm for the admin and the gateway itself.
   */
  async request<Result>(
    pattern: string,
    body: unknown,
    caller: Caller = SYSTEM,
    commandId: string = randomUUID(),
    timeoutMs: number = this.config.requestTimeoutMs,
    realm: string = caller.app_id ? realmOfApp(caller.app_id) : DEFAULT_REALM,
  ): Promise<Result> {
    let reply: Reply<Result>;
    try {
      reply = await this.send<Reply<Result>>(pattern, { meta: this.meta(caller, commandId, timeoutMs), body }, timeoutMs, realm);
    } catch (error) {
      if (error instanceof BackendFailure && !error.late) throw error;
      throw new ApiError('UNAVAILABLE', 'the service did not answer in time: retry with the same Idempotency-Key', {
        pattern,
      });
    }
    if (!reply.ok) throw new ApiError(reply.code, reply.message, reply.details);
    return reply.result;
  }

  /** One round trip to the NATS server; throws when the connection is down. */
  async roundTrip(): Promise<void> {
    await this.nats().rtt();
  }

  /** Raw request for probes whose answer is not a Reply envelope (health). */
  async probe<Answer>(pattern: string, timeoutMs: number): Promise<Answer> {
    return this.send<Answer>(pattern, { meta: this.meta(SYSTEM, randomUUID(), timeoutMs), body: null }, timeoutMs, this.config.realm, 'alone');
  }

  private meta(caller: Caller, commandId: string, timeoutMs: number): RequestMeta {
    return {
      command_id: commandId,
      ...caller,
      correlation_id: caller.correlation_id ?? randomUUID(),
      deadline_epoch_ms: Date.now() + timeoutMs,
    };
  }

  /**
   * Requests leave in batches (ReplyInbox): those of one event-loop turn for one subject travel
   * as one message, and so are written to the socket together. Probes go `alone`: the health
   * handlers take single unsigned requests. A ledger request goes to `realm`'s writer.
   */
  private async send<Answer>(
    pattern: string,
    message: Request<unknown>,
    timeoutMs: number,
    realm: string,
    batching: 'batched' | 'alone' = 'batched',
  ): Promise<Answer> {
    const packet = Buffer.from(JSON.stringify({ pattern, data: message, id: randomUUID() }));
    const inbox = this.replies();
    // Ledger requests go to the active writer and follow a takeover (WriterRouting); every
    // (re)send of the same bytes goes through this one call, signed for the subject it goes to.
    const answer = await this.route(pattern, realm).deliver(pattern, timeoutMs, (subject, remainingMs) =>
      batching === 'batched' ? inbox.request(subject, packet, remainingMs) : inbox.requestAlone(subject, packet, remainingMs),
    );
    if (answer.err !== undefined && answer.err !== null) throw new BackendFailure(pattern, answer.err);
    return answer.response as Answer;
  }

  private route(pattern: string, realm: string): WriterRouting {
    if (!this.routings) throw new Error('the NATS connection is not open yet');
    return this.routings.for(pattern, realm);
  }

  private signer(): ServiceKeyring {
    if (!this.keys) throw new Error('the service keys are not loaded yet');
    return this.keys;
  }

  private replies(): ReplyInbox {
    if (!this.inbox) throw new Error('the NATS connection is not open yet');
    return this.inbox;
  }

  private nats(): NatsConnection {
    if (!this.connection) throw new Error('the NATS connection is not open yet');
    return this.connection;
  }
}
