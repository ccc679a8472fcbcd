import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { firstValueFrom, timeout } from 'rxjs';
import type { Reply, Request, RequestMeta } from '@coffer/contracts';
import { CONFIG, currentCorrelationId, ScopedNatsClient, type CofferConfig } from '@coffer/platform';
import { ApiError } from '../http/api-error';

export type Caller = Pick<RequestMeta, 'app_id' | 'key_id'>;

const SYSTEM: Caller = { app_id: null, key_id: null };

/**
 * NATS request/reply to the backend services, always with a timeout. A request that gets no
 * answer in time is UNAVAILABLE: its outcome is unknown, so the client retries with the same
 * Idempotency-Key and the ledger's command-id dedupe makes the retry safe.
 */
@Injectable()
export class BackendClient implements OnModuleInit, OnApplicationShutdown {
  private readonly client: ScopedNatsClient;

  constructor(@Inject(CONFIG) private readonly config: CofferConfig) {
    this.client = new ScopedNatsClient(
      { servers: config.natsUrl.split(','), name: 'coffer-gateway' },
      { prefix: config.natsPrefix, realm: config.realm },
    );
  }

  async onModuleInit(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /** Sends one request and returns its result, or throws the refusal as an ApiError. */
  async request<Result>(
    pattern: string,
    body: unknown,
    caller: Caller = SYSTEM,
    commandId: string = randomUUID(),
    timeoutMs: number = this.config.requestTimeoutMs,
  ): Promise<Result> {
    const meta: RequestMeta = {
      correlation_id: currentCorrelationId() ?? randomUUID(),
      command_id: commandId,
      ...caller,
    };
    const message: Request<unknown> = { meta, body };
    let reply: Reply<Result>;
    try {
      reply = await firstValueFrom(this.client.send<Reply<Result>>(pattern, message).pipe(timeout(timeoutMs)));
    } catch {
      throw new ApiError('UNAVAILABLE', 'the service did not answer in time: retry with the same Idempotency-Key', {
        pattern,
      });
    }
    if (!reply.ok) throw new ApiError(reply.code, reply.message, reply.details);
    return reply.result;
  }

  /** One round trip to the NATS server; throws when the connection is down. */
  async roundTrip(): Promise<void> {
    await this.client.unwrap<NatsConnection>().rtt();
  }

  /** Raw request for probes whose answer is not a Reply envelope (health). */
  async probe<Answer>(pattern: string, timeoutMs: number): Promise<Answer> {
    const meta: RequestMeta = {
      correlation_id: currentCorrelationId() ?? randomUUID(),
      command_id: randomUUID(),
      ...SYSTEM,
    };
    return firstValueFrom(this.client.send<Answer>(pattern, { meta, body: null }).pipe(timeout(timeoutMs)));
  }
}
