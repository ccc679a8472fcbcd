/** Boots real gateways and ledgers in-process against a test database and NATS prefix. */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { JsonLogger, loadConfig, startMicroservice } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, testServiceKey, type TestDatabase } from '@coffer/testing';
import { LedgerModule } from '../../ledger/src/ledger.module';
import { startProjector } from '../../projector/test/projector-harness';
import { generateApiKey } from '../src/auth/api-keys';
import { createGateway } from '../src/create-gateway';

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

export interface Call {
  token?: string;
  /** An object is sent as JSON; a string is sent as it is (JSON with integers beyond 2^53). */
  body?: object | string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
}

export async function call(app: NestFastifyApplication, method: string, url: string, options: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let payload: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await app.inject({ method: method as 'GET', url, headers, payload });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body === '' ? undefined : JSON.parse(response.body),
  };
}

/** Waits until the gateway has its API keys and the ledger writer answers admin queries. */
export async function untilServing(app: NestFastifyApplication, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const keys = await call(app, 'GET', '/finance/balance/probe', { token: generateApiKey() });
    const admin = keys.status === 401 ? await call(app, 'GET', '/admin/apps', { token: ADMIN_TOKEN }) : keys;
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

/** A database, a NATS prefix, a ledger, a projector and a serving gateway of a test's own, with request shortcuts. */
export class Stack {
  private constructor(
    readonly database: TestDatabase,
    readonly env: StackEnv,
    readonly ledger: INestMicroservice,
    readonly projector: INestMicroservice,
    readonly gateway: NestFastifyApplication,
  ) {}

  static async start(label: string): Promise<Stack> {
    const database = await createTestDatabase(label);
    const env = { databaseUrl: database.url, prefix: testNatsPrefix(label) };
    const ledger = await startLedger(env);
    const projector = await startProjector(env);
    const gateway = await startGateway(env);
    await untilServing(gateway);
    return new Stack(database, env, ledger, projector, gateway);
  }

  admin(method: string, url: string, body?: object, idempotencyKey?: string): Promise<Answer> {
    return call(this.gateway, method, url, { token: ADMIN_TOKEN, body, idempotencyKey });
  }

  app(apiKey: string, method: string, url: string, body?: object | string, idempotencyKey?: string): Promise<Answer> {
    return call(this.gateway, method, url, { token: apiKey, body, idempotencyKey });
  }

  async registerApp(name: string): Promise<RegisteredApp> {
    const created = await this.admin('POST', '/admin/apps', { name });
    expect(created.status).toBe(201);
    return created.body as RegisteredApp;
  }

  /** Stops the services, then drops what the test made: its database and its feed's JetStream stream. */
  async close(): Promise<void> {
    await this.gateway.close();
    await this.projector.close();
    await this.ledger.close();
    await this.database.drop();
    await dropTestStreams(this.env.prefix);
  }
}
