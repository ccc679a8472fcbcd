import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ensureDatabase, runWithCorrelation, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { ApiError } from './http/api-error';
import { CORRELATION_HEADER, correlationIdOf } from './http/correlation';
import { ErrorFilter } from './http/error-filter';
import { BODY_LIMIT_BYTES, registerLosslessJson } from './http/lossless-json';
import { SyncValidationPipe } from './http/sync-validation.pipe';
import { GatewayModule } from './gateway.module';
import { GatewayMetrics } from './metrics/metrics';

/** Builds the gateway (not yet listening): shared by main.ts and the tests. */
export async function createGateway(config: CofferConfig, logger: JsonLogger): Promise<NestFastifyApplication> {
  await ensureDatabase(config.databaseUrl, {
    onWait: (error, attempt) => attempt === 1 && logger.event('warn', 'waiting for PostgreSQL', { error: error.message }),
  });
  const metrics = new GatewayMetrics();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    trustProxy: false,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, logger, metrics), adapter, {
    bodyParser: false,
    logger,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  registerLosslessJson(fastify);
  instrument(fastify, metrics);

  app.useGlobalFilters(new ErrorFilter(logger));
  app.useGlobalPipes(
    new SyncValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new ApiError('VALIDATION_FAILED', 'the request is not valid', {
          fields: Object.fromEntries(
            errors.map((error) => [error.property, Object.values(error.constraints ?? { invalid: 'is not valid' })]),
          ),
        }),
    }),
  );
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Coffer')
      .setDescription('One shared economy for a community of games and apps: wallets, finance events, achievements.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an app API key, or the admin token on /admin' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

/** Request counts and latencies by route template (never by raw URL: ids would explode the labels). */
function instrument(fastify: FastifyInstance, metrics: GatewayMetrics): void {
  // The rest of the request runs inside its correlation context, so every log line and NATS
  // request carries it. A Fastify hook rather than a Nest interceptor: an interceptor costs an
  // AsyncResource.bind and an rxjs pipeline per request (a tenth of the gateway's CPU).
  fastify.addHook('onRequest', (request, reply, done) => {
    const correlationId = correlationIdOf(request);
    void reply.header(CORRELATION_HEADER, correlationId);
    runWithCorrelation(correlationId, done);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
