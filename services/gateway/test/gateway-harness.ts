/** Boots real gateways and ledgers in-process against a test database and NATS prefix. */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { JsonLogger, loadConfig, startMicroservice } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, testServiceKey, type TestDatabase } from '@coffer/testing';
import { LedgerModule } from '../../ledger/src/ledger.module';
import { startNotifier } from '../../notifier/test/notifier-harness';
import { startProjector } from '../../projector/test/projector-harness';
import { generateApiKey } from '../src/auth/api-keys';
import { createGateway } from '../src/create-gateway';
import { ApiClient } from './api-client';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface StackEnv {
  databaseUrl: string;
  prefix: string;
}

function env(stack: StackEnv, extra: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    DATABASE_URL: stack.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: stack.prefix,
    // The harnesses' key, so a gateway here and a ledger or achievements service started by
    // another harness trust each other. (Processes spawned without it share the stored key.)
    COFFER_SERVICE_KEY: testServiceKey(),
    LOG_LEVEL: 'error',
    ...extra,
  };
}

/** The projector keeps the read models the gateway reads from. */
export { startProjector };

export async function startLedger(stack: StackEnv): Promise<INestMicroservice> {
  const config = loadConfig(env(stack, {}));
  const logger = new JsonLogger('ledger', 'error');
  return startMicroservice({
    service: 'ledger',
    config,
    logger,
    module: (transport) => LedgerModule.forRoot(config, logger, transport),
  });
}

/** A gateway (initialised, not listening: requests go through inject). `logs` collects its log lines. */
export async function startGateway(
  stack: StackEnv,
  extra: Record<string, string | undefined> = { COFFER_ADMIN_TOKEN: ADMIN_TOKEN },
  logs: string[] = [],
): Promise<NestFastifyApplication> {
  const config = loadConfig(env(stack, extra));
  const app = await createGateway(config, new JsonLogger('gateway', 'info', (line) => logs.push(line)));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** The typed test client (api-client.ts) on an in-process gateway, with this token. */
export function api(app: NestFastifyApplication, token?: string): ApiClient {
  return ApiClient.inject(app, token);
}

/** Waits until the gateway has its API keys and the ledger writer answers admin queries. */
export async function untilServing(app: NestFastifyApplication, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const keys = await api(app, generateApiKey()).balance('probe');
    const admin = keys.status === 401 ? await api(app, ADMIN_TOKEN).apps() : keys;
    if (keys.status === 401 && admin.status !== 503) return;
    if (Date.now() > deadline) throw new Error(`the gateway never served: ${keys.status} ${admin.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const newIdempotencyKey = (): string => `test-${randomUUID()}`;

export const TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

export interface RegisteredApp {
  app_id: string;
  api_key: string;
  key_id: string;
}

/** A database, a NATS prefix, a ledger, a projector, a notifier and a serving gateway of a test's own, with request shortcuts. */
export class Stack {
  private constructor(
    readonly database: TestDatabase,
    readonly env: StackEnv,
    readonly ledger: INestMicroservice,
    readonly projector: INestMicroservice,
    readonly notifier: INestMicroservice,
    readonly gateway: NestFastifyApplication,
  ) {}

  static async start(label: string): Promise<Stack> {
    const database = await createTestDatabase(label);
    const env = { databaseUrl: database.url, prefix: testNatsPrefix(label) };
    // A stack that fails to start (a loaded machine: the gateway never serves in time) gets no
    // close() from its test, so it undoes here what it made: else its database and stream stay.
    const started: Array<{ close(): Promise<unknown> }> = [];
    const track = async <Service extends { close(): Promise<unknown> }>(starting: Promise<Service>): Promise<Service> => {
      const service = await starting;
      started.push(service);
      return service;
    };
    try {
      const ledger = await track(startLedger(env));
      const projector = await track(startProjector(env));
      const notifier = await track(startNotifier(env)); // webhooks: public https:// targets only, as deployed
      const gateway = await track(startGateway(env));
      await untilServing(gateway);
      return new Stack(database, env, ledger, projector, notifier, gateway);
    } catch (error) {
      for (const service of started.reverse()) await service.close().catch(() => undefined);
      await database.drop().catch(() => undefined);
      await dropTestStreams(env.prefix).catch(() => undefined);
      throw error;
    }
  }

  /** The admin's client (the admin token). */
  get admin(): ApiClient {
    return api(this.gateway, ADMIN_TOKEN);
  }

  /** An app's client (its API key). */
  as(apiKey: string): ApiClient {
    return api(this.gateway, apiKey);
  }

  async registerApp(name: string): Promise<RegisteredApp> {
    const created = await this.admin.createApp({ name });
    expect(created.status).toBe(201);
    const { app_id, api_key, key_id } = created.reply;
    if (api_key === null) throw new Error('a new app came without its API key');
    return { app_id, api_key, key_id };
  }

  /** Stops the services, then drops what the test made: its database and its feed's JetStream stream. */
  async close(): Promise<void> {
    await this.gateway.close();
    await this.notifier.close();
    await this.projector.close();
    await this.ledger.close();
    await this.database.drop();
    await dropTestStreams(this.env.prefix);
  }
}
