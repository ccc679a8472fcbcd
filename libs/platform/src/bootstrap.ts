import type { DynamicModule, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, ConfigError, type CofferConfig } from './config';
import { ensureDatabase } from './database';
import { JsonLogger } from './logger';
import { ScopedNatsServer } from './nats-transport';
import { NATS_RECONNECT_OPTIONS } from './resilience';

/** Reads and checks the configuration, or prints every problem and exits (exit code 78, EX_CONFIG). */
export function configOrExit(service: string, env: Record<string, string | undefined> = process.env): CofferConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    new JsonLogger(service).event('error', 'refusing to start: invalid configuration', { problems: error.problems });
    process.exit(78);
  }
}

export interface MicroserviceBoot {
  service: string;
  config: CofferConfig;
  logger: JsonLogger;
  /** Builds the root module; it gets the transport so a writer can gate its subscriptions. */
  module: (transport: ScopedNatsServer) => DynamicModule;
}

/**
 * Starts a NATS request/reply service: a queue group per service kind (so instances share the
 * load), graceful shutdown on SIGTERM (unsubscribe, let in-flight handlers answer, then close).
 */
export async function startMicroservice({ service, config, logger, module }: MicroserviceBoot): Promise<INestMicroservice> {
  await ensureDatabase(config.databaseUrl, {
    onWait: (error, attempt) => attempt === 1 && logger.event('warn', 'waiting for PostgreSQL', { error: error.message }),
  });
  const strategy = new ScopedNatsServer(
    {
      servers: config.natsUrl.split(','),
      name: `coffer-${service}`,
      queue: service,
      gracePeriodMs: 5000,
      ...NATS_RECONNECT_OPTIONS,
    },
    { prefix: config.natsPrefix, realm: config.realm },
  );
  const app = await NestFactory.createMicroservice(module(strategy), { strategy, logger, abortOnError: false });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  logger.event('info', `${service} started`, { nats: config.natsUrl, prefix: config.natsPrefix, realm: config.realm });
  return app;
}

/** The whole `main` of a NATS service: configuration, logger, start, or exit 1 with the reason. */
export function runMicroservice(
  service: string,
  module: (config: CofferConfig, logger: JsonLogger, transport: ScopedNatsServer) => DynamicModule,
): void {
  const config = configOrExit(service);
  const logger = new JsonLogger(service, config.logLevel);
  const build = (transport: ScopedNatsServer) => module(config, logger, transport);
  startMicroservice({ service, config, logger, module: build }).catch((error: unknown) => {
    logger.error(error);
    process.exit(1);
  });
}
