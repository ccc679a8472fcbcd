/** Boots real ledger instances in-process against a test database and NATS prefix. */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import type { INestMicroservice } from '@nestjs/common';
import { PATTERNS, type LedgerCommand, type LedgerQuery, type Reply, type RequestMeta, type ServiceSender } from '@coffer/contracts';
import { JsonLogger, loadConfig, ScopedNatsClient, ServiceKeyring, startMicroservice, type CofferConfig } from '@coffer/platform';
import { testNatsUrl, testServiceKey, testServiceKeys } from '@coffer/testing';
import { LedgerModule, type LedgerTuning } from '../src/ledger.module';

export interface LedgerEnv {
  databaseUrl: string;
  prefix: string;
  eventTimeoutSeconds?: number;
  /** A port for its Prometheus endpoint (COFFER_METRICS_PORT). */
  metricsPort?: number;
  /** Collects its log lines from `warn` up (otherwise only errors are logged, to nowhere). */
  logs?: string[];
  /** The realm it writes for (COFFER_REALM); the default realm without it. */
  realm?: string;
}

export function ledgerConfig(env: LedgerEnv): CofferConfig {
  return loadConfig({
    DATABASE_URL: env.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: env.prefix,
    COFFER_EVENT_TIMEOUT_SECONDS: String(env.eventTimeoutSeconds ?? 60),
    COFFER_SERVICE_KEY: testServiceKey(),
    COFFER_METRICS_PORT: env.metricsPort === undefined ? undefined : String(env.metricsPort),
    COFFER_REALM: env.realm,
    LOG_LEVEL: 'error',
  });
}

export async function startLedger(env: LedgerEnv, tuning: LedgerTuning = {}): Promise<INestMicroservice> {
  const config = ledgerConfig(env);
  const logs = env.logs;
  const logger = logs ? new JsonLogger('ledger', 'warn', (line) => logs.push(line)) : new JsonLogger('ledger', 'error');
  return startMicroservice({
    service: 'ledger',
    config,
    logger,
    module: (transport) => LedgerModule.forRoot(config, logger, transport, tuning),
  });
}

/** An app as the ledger knows it: its id and the API key it calls with. */
export interface TestCaller {
  app_id: string | null;
  key_id?: string | null;
}

/**
 * Talks to the ledger the way the gateway does: NATS request/reply with a timeout, signed as
 * `sender` (the gateway unless a test plays another service) with the harness's service key.
 * Like the gateway, an app's command carries that app's key: the key it was registered with
 * through this client, unless the caller names another.
 */
export class LedgerTestClient {
  private readonly client: ScopedNatsClient;
  private readonly keyOfApp = new Map<string, string>();

  /** `realm`: whose ledger it talks to. */
  constructor(prefix: string, sender: ServiceSender = 'gateway', realm = 'default') {
    this.client = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm }, { sender, keys: new ServiceKeyring(testServiceKeys()) });
  }

  async command<R = any>(
    command: LedgerCommand,
    caller: TestCaller = { app_id: null },
    options: { commandId?: string; requestHash?: string | null; timeoutMs?: number } = {},
  ): Promise<Reply<{ result: R; position: string; replayed: boolean }>> {
    const meta: RequestMeta = {
      correlation_id: randomUUID(),
      command_id: options.commandId ?? randomUUID(),
      app_id: caller.app_id,
      key_id: caller.key_id !== undefined ? caller.key_id : caller.app_id === null ? null : (this.keyOfApp.get(caller.app_id) ?? null),
      deadline_epoch_ms: Date.now() + (options.timeoutMs ?? 10000),
    };
    const reply = await firstValueFrom(
      this.client
        .send<Reply<{ result: R; position: string; replayed: boolean }>>(PATTERNS.ledgerCommands, {
          meta,
          body: { command, request_hash: options.requestHash ?? null },
        })
        .pipe(timeout(options.timeoutMs ?? 10000)),
    );
    if (command.type === 'RegisterApp' && reply.ok) {
      const { app_id } = reply.result.result as { app_id: string };
      if (!this.keyOfApp.has(app_id)) this.keyOfApp.set(app_id, command.data.key_id);
    }
    return reply;
  }

  async query<R = any>(query: LedgerQuery): Promise<Reply<R>> {
    const id = randomUUID();
    const meta: RequestMeta = { correlation_id: id, command_id: id, app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 10000 };
    return firstValueFrom(this.client.send(PATTERNS.ledgerQueries, { meta, body: query }).pipe(timeout(10000)));
  }

  /** Retries while no ledger is active yet (standby taking over, start-up). */
  async untilAnswered<T extends Reply<unknown>>(send: () => Promise<T>, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        const reply = await send();
        if (reply.ok || reply.code !== 'UNAVAILABLE') return reply;
      } catch {
        // no responder yet
      }
      if (Date.now() > deadline) throw new Error('the ledger never answered');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export const ok = <R>(reply: Reply<R>): R => {
  if (!reply.ok) throw new Error(`refused: ${reply.code} ${reply.message}`);
  return reply.result;
};
