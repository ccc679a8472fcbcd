/** Boots real ledger instances in-process against a test database and NATS prefix. */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import type { INestMicroservice } from '@nestjs/common';
import { PATTERNS, type LedgerCommand, type LedgerQuery, type Reply, type RequestMeta } from '@coffer/contracts';
import { JsonLogger, loadConfig, ScopedNatsClient, startMicroservice, type CofferConfig } from '@coffer/platform';
import { testNatsUrl } from '@coffer/testing';
import { LedgerModule, type LedgerTuning } from '../src/ledger.module';

export interface LedgerEnv {
  databaseUrl: string;
  prefix: string;
  eventTimeoutSeconds?: number;
}

export function ledgerConfig(env: LedgerEnv): CofferConfig {
  return loadConfig({
    DATABASE_URL: env.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: env.prefix,
    COFFER_EVENT_TIMEOUT_SECONDS: String(env.eventTimeoutSeconds ?? 60),
    LOG_LEVEL: 'error',
  });
}

export async function startLedger(env: LedgerEnv, tuning: LedgerTuning = {}): Promise<INestMicroservice> {
  const config = ledgerConfig(env);
  const logger = new JsonLogger('ledger', 'error');
  return startMicroservice({
    service: 'ledger',
    config,
    logger,
    module: (transport) => LedgerModule.forRoot(config, logger, transport, tuning),
  });
}

/** Talks to the ledger the way the gateway does: NATS request/reply with a timeout. */
export class LedgerTestClient {
  private readonly client: ScopedNatsClient;

  constructor(prefix: string) {
    this.client = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm: 'default' });
  }

  async command<R = any>(
    command: LedgerCommand,
    caller: { app_id: string | null } = { app_id: null },
    options: { commandId?: string; requestHash?: string | null; timeoutMs?: number } = {},
  ): Promise<Reply<{ result: R; position: string; replayed: boolean }>> {
    const meta: RequestMeta = {
      correlation_id: randomUUID(),
      command_id: options.commandId ?? randomUUID(),
      app_id: caller.app_id,
      key_id: null,
      deadline_epoch_ms: Date.now() + (options.timeoutMs ?? 10000),
    };
    return firstValueFrom(
      this.client
        .send(PATTERNS.ledgerCommands, { meta, body: { command, request_hash: options.requestHash ?? null } })
        .pipe(timeout(options.timeoutMs ?? 10000)),
    );
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
