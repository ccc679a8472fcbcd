import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Pool, QueryConfig } from 'pg';
import { PATTERNS, type HealthReply } from '@coffer/contracts';
import { LOGGER, type JsonLogger } from '@coffer/platform';
import { NatsRequestClient } from '../backend/nats-request-client';
import { RETRY_AFTER_SECONDS } from '../http/dependency-outage';
import { DB_POOL } from '../tokens';
import { CachedCheck, READY_CACHE_MS } from './cached-check';

/**
 * Longest a readiness probe of one dependency may take: a dependency that has not answered by
 * then is unavailable. A frozen or partitioned server sends no reset, so without it /ready
 * would wait for the driver's own timeouts (the query timeout, NATS's ping interval: seconds to
 * minutes) instead of saying 503.
 */
export const READY_PROBE_TIMEOUT_MS = 1000;
/**
 * The database probe, with its own query timeout (pg takes it per query; its types do not say
 * so), so a probe given up on frees its pool connection then, not at the pool's query timeout.
 */
const READY_QUERY: QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: READY_PROBE_TIMEOUT_MS };

/**
 * What /ready says of a dependency: never its error text (anyone may ask, and a driver's message
 * names hosts, users, subjects). The reason is logged for the operators, once per change.
 */
type Check = 'ok' | 'unavailable';

interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

@ApiTags('operations')
@Controller()
export class HealthController {
  /** Probes share one check per READY_CACHE_MS, so a flood of them cannot load the dependencies. */
  readonly readiness = new CachedCheck(() => this.checkDependencies(), READY_CACHE_MS);
  /** The reason each failing check last logged. */
  private readonly failing = new Map<string, string>();

  constructor(
    @Inject(DB_POOL) private readonly pool: Pool,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @Get('health')
  @ApiOperation({ operationId: 'getHealth', summary: 'Liveness: the gateway process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the database, NATS and the ledger answer', description: 'Checked at most once a second; probes in between get that answer.' })
  @ApiOkResponse({ schema: { example: { status: 'ready', checks: { database: 'ok', nats: 'ok', ledger: 'ok' } } } })
  @ApiServiceUnavailableResponse({
    description: "a dependency does not answer; checks says which (`unavailable`: the reason is in the gateway's log)",
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; checks: Record<string, Check> }> {
    const { ready, checks } = await this.readiness.get();
    if (!ready) void reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { status: ready ? 'ready' : 'unavailable', checks };
  }

  private async checkDependencies(): Promise<Readiness> {
    const [database, nats, ledger] = await Promise.all([
      this.check('database', async () => {
        await this.pool.query(READY_QUERY);
      }),
      this.check('nats', () => this.backend.roundTrip()),
      this.check('ledger', async () => {
        const answer = await this.backend.probe<HealthReply>(PATTERNS.health('ledger'), READY_PROBE_TIMEOUT_MS);
        if (answer.status !== 'ok') throw new Error('ledger is not ok');
      }),
    ]);
    const checks = { database, nats, ledger };
    return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
  }

  private async check(name: string, probe: () => Promise<void>): Promise<Check> {
    try {
      await within(probe(), READY_PROBE_TIMEOUT_MS);
      this.failing.delete(name);
      return 'ok';
    } catch (error) {
      const reason = (error as Error).message || (error as Error).name;
      if (this.failing.get(name) !== reason) {
        this.failing.set(name, reason);
        this.logger.event('warn', 'not ready', { check: name, error: reason });
      }
      return 'unavailable';
    }
  }
}

/** The probe's outcome, or a rejection once `timeoutMs` has passed (the probe itself is left to end on its own). */
function within(probe: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([probe, expired]).finally(() => clearTimeout(timer));
}
