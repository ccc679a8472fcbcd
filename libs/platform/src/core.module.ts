import { Controller, Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { PATTERNS, type HealthReply, type Request } from '@coffer/contracts';
import { createEventStore, type EventStore } from '@coffer/event-store';
import type { CofferConfig } from './config';
import { JsonLogger } from './logger';
import { createPool, poolBoundsOf } from './pool';
import { UNSIGNED_REQUESTS } from './nats-transport';
import { CONFIG, EVENT_STORE, LOGGER } from './tokens';

/** Closes the event store after Nest has stopped taking messages. */
class EventStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Answers `<prefix>.health.<service>` so the gateway's /ready and operators can probe it. It takes
 * unsigned requests: it changes nothing and says only that the instance lives and its role, and a
 * container health check (tools/healthcheck.js) should need no secret.
 */
export function healthController(service: string, role: () => string | undefined = () => undefined): Type {
  const instance = randomUUID();
  @Controller()
  class HealthController {
    constructor(@Inject(LOGGER) private readonly logger: JsonLogger) {}

    @MessagePattern(PATTERNS.health(service), UNSIGNED_REQUESTS)
    health(@Payload() request: Request<unknown> | undefined): HealthReply {
      this.logger.event('debug', 'health probe answered', { correlation_id: request?.meta?.correlation_id ?? randomUUID() });
      const reply: HealthReply = { service, instance, status: 'ok' };
      const current = role();
      if (current) reply.role = current;
      return reply;
    }
  }
  return HealthController;
}

/**
 * What every service shares: its validated configuration, its logger and (when asked) the
 * event store chosen by EVENTSTORE_URL.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: CofferConfig, logger: JsonLogger, options: { eventStore?: boolean } = {}): DynamicModule {
    const providers: DynamicModule['providers'] = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
    ];
    const exported: Array<symbol> = [CONFIG, LOGGER];
    if (options.eventStore) {
      providers.push(
        {
          provide: EVENT_STORE,
          useFactory: () =>
            createEventStore({
              databaseUrl: config.databaseUrl,
              eventStoreUrl: config.eventStoreUrl,
              createPool: (settings) => createPool(settings, poolBoundsOf(config)),
            }),
        },
        EventStoreCloser,
      );
      exported.push(EVENT_STORE);
    }
    return { module: CoreModule, providers, exports: exported };
  }
}
