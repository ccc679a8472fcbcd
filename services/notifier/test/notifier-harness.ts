import type { INestMicroservice } from '@nestjs/common';
import { JsonLogger, loadConfig, startMicroservice } from '@coffer/platform';
import { testNatsUrl, testServiceKey } from '@coffer/testing';
import { NotifierModule, type NotifierTuning } from '../src/notifier.module';

export interface NotifierEnv {
  databaseUrl: string;
  prefix: string;
  /** COFFER_WEBHOOK_ALLOW_PRIVATE=1: the tests' receivers listen on loopback. */
  allowPrivate?: boolean;
  /** More variables (COFFER_DISCORD_*: the role outbox's Discord). */
  extra?: Record<string, string>;
}

/** Retries within a test's patience: 100 ms doubling to 400 ms, a 3 s attempt timeout. */
export const FAST_DELIVERY: NotifierTuning = {
  delivery: { retry: { firstDelayMs: 100, maxDelayMs: 400, windowMs: 60_000 }, timeoutMs: 3_000 },
};

/** A notifier of a test's own database and NATS prefix, as `npm start` runs it. */
export async function startNotifier(env: NotifierEnv, tuning: NotifierTuning = FAST_DELIVERY): Promise<INestMicroservice> {
  const config = loadConfig({
    DATABASE_URL: env.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: env.prefix,
    COFFER_SERVICE_KEY: testServiceKey(),
    COFFER_WEBHOOK_ALLOW_PRIVATE: env.allowPrivate ? '1' : undefined,
    LOG_LEVEL: 'error',
    ...env.extra,
  });
  const logger = new JsonLogger('notifier', 'error');
  return startMicroservice({ service: 'notifier', config, logger, module: () => NotifierModule.forRoot(config, logger, tuning) });
}
