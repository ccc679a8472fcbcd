import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { feedAsyncApiDocument } from '@coffer/contracts';
import { ensureDatabase, waitingForPostgres, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { registerDiscordInteractions } from './discord/interactions-endpoint';
import { ApiError } from './http/api-error';
import { CORRELATION_HEADER, correlationIdOf } from './http/correlation';
import { ErrorFilter, sendError } from './http/error-filter';
import { BODY_LIMIT_BYTES, registerLosslessJson } from './http/lossless-json';
import { gatewayValidationPipe } from './http/validation-pipe';
import { GatewayModule } from './gateway.module';
import { GatewayMetrics } from './metrics/metrics';
import { AddressLimits } from './rate-limit/address-limits';
import { buildOpenApiDocument } from './openapi/document';
import { serveConsole } from './console/serve-console';

/**
 * How often Node looks for connections past their headers or request timeout: a slow client is
 * cut off at most this long after its timeout (Node's default, 30 s, would let a slowloris hold
 * a socket half a minute longer than configured).
 */
export const HTTP_TIMEOUTS_CHECKED_EVERY_MS = 1000;

/** Builds the gateway (not yet listening): shared by main.ts and the tests. */
export async function createGateway(config: CofferConfig, logger: JsonLogger): Promise<NestFastifyApplication> {
  await ensureDatabase(config.databaseUrl, waitingForPostgres(logger));
  const metrics = new GatewayMetrics();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    trustProxy: false,
    return503OnClosing: true,
    // Every socket has a deadline: to send its headers, its whole request, to stay silent, to idle between requests.
    http: { headersTimeout: config.httpHeadersTimeoutMs, connectionsCheckingInterval: HTTP_TIMEOUTS_CHECKED_EVERY_MS },
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: config.httpIdleTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, logger, metrics), adapter, {
    bodyParser: false,
    logger,
    abortOnError: false,
  });
  // Beyond this many open sockets Node closes new ones as they arrive, before reading a byte.
  (app.getHttpServer() as Server).maxConnections = config.httpMaxConnections;
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  registerLosslessJson(fastify);
  instrument(fastify, metrics);
  limitByAddress(fastify, app.get(AddressLimits), logger);
  await registerDiscordInteractions(app, config, logger);

  app.useGlobalFilters(new ErrorFilter(logger));
  app.useGlobalPipes(gatewayValidationPipe());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const document = buildOpenApiDocument(app, config.port);
  // Deep links (/docs#/finance/postTransaction) so a README or an issue can point at one route.
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json', swaggerOptions: { deepLinking: true } });
  // The analytics feed's contract beside the API's, public like it: built from the contracts
  // for this deployment's prefix (its subjects and stream name), once.
  const asyncApi = JSON.stringify(feedAsyncApiDocument({ prefix: config.natsPrefix }));
  fastify.get('/docs/asyncapi.json', (_request, reply) => {
    void reply.type('application/json; charset=utf-8').send(asyncApi);
  });
  await serveConsole(fastify);
  return app;
}

/** Routes that take no credentials: whatever a request to them carries, it is counted as unauthenticated. */
const PUBLIC_ROUTE = /^\/(health|ready|metrics|docs|console)(\/|$)/;

/**
 * Before routing to a controller: a request without credentials (or to a public or unknown
 * route) takes from its address's bucket. One with credentials goes on to its guard, which
 * counts it against the address only if its credentials are not found.
 */
function limitByAddress(fastify: FastifyInstance, limits: AddressLimits, logger: JsonLogger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && !PUBLIC_ROUTE.test(route) && request.headers.authorization !== undefined) return done();
    const verdict = limits.admitUnauthenticated(request.ip);
    if (verdict.allowed) return done();
    const refusal = new ApiError('RATE_LIMITED', 'too many requests without credentials from this address: slow down', {
      retry_after_seconds: verdict.retryAfterSeconds,
    });
    sendError(reply, refusal, logger, request);
  });
}

/** Request counts and latencies by route template (never by raw URL: ids would explode the labels). */
function instrument(fastify: FastifyInstance, metrics: GatewayMetrics): void {
  // The correlation id travels on the request (its guards put it in the caller, which every
  // NATS request's meta is made from), not in an AsyncLocalStorage: a store switches on
  // Node's promise hooks for the whole process, a cost on every promise of every request
  // (about 6% of the gateway's CPU) for what one field carries as well.
  fastify.decorateRequest('correlationId', '');
  fastify.addHook('onRequest', (request, reply, done) => {
    request.correlationId = correlationIdOf(request);
    void reply.header(CORRELATION_HEADER, request.correlationId);
    done();
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
