import type { DynamicModule, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig, ConfigError, withoutPasswords, type CofferConfig } from './config';
import { ensureDatabase, type DatabaseWait } from './database';
import { JsonLogger } from './logger';
import { serveMetrics } from './metrics-server';
import { natsConnectionOptions } from './nats-connection';
import { ScopedNatsServer } from './nats-transport';
import { NATS_RECONNECT_OPTIONS } from './resilience';
import { RequestDoor } from './request-door';
import { ServiceKeyring } from './request-signature';
import { loadServiceKeys } from './service-keys';

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

/** A service's wait for PostgreSQL at start: for ever, saying so once. */
export function waitingForPostgres(logger: JsonLogger): DatabaseWait {
  return { onWait: (error, attempt) => attempt === 1 && logger.event('warn', 'waiting for PostgreSQL', { error: error.message }) };
}

export interface MicroserviceBoot {
  service: string;
  config: CofferConfig;
  logger: JsonLogger;
  /**
   * Builds the root module; it gets the transport so a writer can gate its subscriptions, and the
   * registry its COFFER_METRICS_PORT serves, for the service's own figures.
   */
  module: (transport: ScopedNatsServer, keys: ServiceKeyring, registry: Registry) => DynamicModule;
}

/**
 * Starts a NATS request/reply service: a queue group per service kind (so instances share the
 * load), graceful shutdown on SIGTERM (unsubscribe, let in-flight handlers answer, then close).
 */
export async function startMicroservice({ service, config, logger, module }: MicroserviceBoot): Promise<INestMicroservice> {
  const wait = waitingForPostgres(logger);
  await ensureDatabase(config.databaseUrl, wait);
  const keys = new ServiceKeyring(await loadServiceKeys(config, wait));
  const registry = new Registry();
  const strategy = new ScopedNatsServer(
    {
      ...natsConnectionOptions(config),
      name: `coffer-${service}`,
      queue: service,
      gracePeriodMs: 5000,
      ...NATS_RECONNECT_OPTIONS,
    },
    { prefix: config.natsPrefix, realm: config.realm },
    new RequestDoor(service, keys, logger, registry),
  );
  const app = await NestFactory.createMicroservice(module(strategy, keys, registry), { strategy, logger, abortOnError: false });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  if (config.metricsPort !== undefined) {
    collectDefaultMetrics({ register: registry, prefix: `coffer_${service}_` });
    const metrics = await serveMetrics(registry, config.metricsPort);
    strategy.closeWith(async () => {
      metrics.closeAllConnections(); // a scraper's keep-alive connection would hold close() open
      await new Promise((resolve) => metrics.close(resolve));
    });
  }
  logger.event('info', `${service} started`, {
    nats: withoutPasswords(config.natsUrl),
    prefix: config.natsPrefix,
    realm: config.realm,
    ...(config.metricsPort !== undefined ? { metrics_port: config.metricsPort } : {}),
  });
  return app;
}

/** The whole `main` of a NATS service: configuration, logger, start, or exit 1 with the reason. */
export function runMicroservice(
  service: string,
  module: (config: CofferConfig, logger: JsonLogger, transport: ScopedNatsServer, keys: ServiceKeyring, registry: Registry) => DynamicModule,
): void {
  const config = configOrExit(service);
  const logger = new JsonLogger(service, config.logLevel);
  const build = (transport: ScopedNatsServer, keys: ServiceKeyring, registry: Registry) => module(config, logger, transport, keys, registry);
  startMicroservice({ service, config, logger, module: build }).catch((error: unknown) => {
    logger.error(error);
    process.exit(1);
  });
}
