/** Boots real achievements services in-process against a test database and NATS prefix, and talks to them over NATS. */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import type { INestMicroservice } from '@nestjs/common';
import {
  PATTERNS,
  type AchievementCommand,
  type AchievementQuery,
  type CommandReply,
  type Reply,
  type RequestMeta,
  type ServiceSender,
} from '@coffer/contracts';
import { JsonLogger, loadConfig, ScopedNatsClient, ServiceKeyring, startMicroservice, type CofferConfig } from '@coffer/platform';
import { testNatsUrl, testServiceKey, testServiceKeys } from '@coffer/testing';
import { AchievementsModule, type AchievementsTuning } from '../src/achievements.module';

export interface AchievementsEnv {
  databaseUrl: string;
  prefix: string;
}

export function achievementsConfig(env: AchievementsEnv): CofferConfig {
  return loadConfig({
    DATABASE_URL: env.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: env.prefix,
    COFFER_REQUEST_TIMEOUT_MS: '2000',
    COFFER_SERVICE_KEY: testServiceKey(),
    LOG_LEVEL: 'error',
  });
}

/** Fast retries, so tests that make the ledger wait do not wait long. */
export const FAST_REACTOR: AchievementsTuning = { reactor: { retryMs: 20, maxRetryMs: 200 } };

export async function startAchievements(env: AchievementsEnv, tuning: AchievementsTuning = FAST_REACTOR): Promise<INestMicroservice> {
  const config = achievementsConfig(env);
  const logger = new JsonLogger('achievements', 'error');
  return startMicroservice({
    service: 'achievements',
    config,
    logger,
    module: (_transport, keys) => AchievementsModule.forRoot(config, logger, keys, tuning),
  });
}

/** Talks to the achievements service the way the gateway does: NATS request/reply with a timeout, signed as the gateway. */
export class AchievementsTestClient {
  private readonly client: ScopedNatsClient;

  /** `sender`: whom it signs as (the gateway, unless a test plays another service). */
  constructor(prefix: string, sender: ServiceSender = 'gateway') {
    const keys = new ServiceKeyring(testServiceKeys());
    this.client = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm: 'default' }, { sender, keys });
  }

  command<R = any>(
    command: AchievementCommand | Record<string, unknown>,
    caller: Pick<RequestMeta, 'app_id' | 'app_scopes'>,
    options: { commandId?: string; requestHash?: string | null } = {},
  ): Promise<Reply<CommandReply<R>>> {
    const meta: RequestMeta = {
      correlation_id: randomUUID(),
      command_id: options.commandId ?? randomUUID(),
      app_id: caller.app_id,
      key_id: null,
      deadline_epoch_ms: Date.now() + 10000,
      ...(caller.app_scopes !== undefined ? { app_scopes: caller.app_scopes } : {}),
    };
    return this.raw({ meta, body: { command, request_hash: options.requestHash ?? null } });
  }

  query<R = any>(query: AchievementQuery, caller: Pick<RequestMeta, 'app_id' | 'app_scopes'>): Promise<Reply<R>> {
    const id = randomUUID();
    const meta: RequestMeta = { correlation_id: id, command_id: id, app_id: caller.app_id, key_id: null, deadline_epoch_ms: Date.now() + 10000 };
    if (caller.app_scopes !== undefined) meta.app_scopes = caller.app_scopes;
    return this.raw({ meta, body: { query } });
  }

  /** Anything at all on the achievements subject (malformed requests included). */
  raw<R = any>(message: unknown): Promise<R> {
    return firstValueFrom(this.client.send<R>(PATTERNS.achievementsCommands, message).pipe(timeout(10000)));
  }

  /** Retries while the service is not subscribed yet (start-up). */
  async untilAnswered<T>(send: () => Promise<T>, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export const accepted = <R>(reply: Reply<R>): R => {
  if (!reply.ok) throw new Error(`refused: ${reply.code} ${reply.message} ${JSON.stringify(reply.details ?? {})}`);
  return reply.result;
};

/** Polls `probe` until `done` says so, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms; last value ${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
