import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Pool } from 'pg';
import { PATTERNS, type HealthReply } from '@coffer/contracts';
import { BackendClient } from '../backend/backend.client';
import { RETRY_AFTER_SECONDS } from '../http/dependency-outage';
import { DB_POOL } from '../tokens';
import { CachedCheck, READY_CACHE_MS } from './cached-check';

const PROBE_TIMEOUT_MS = 1000;
type Check = 'ok' | string;

interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

@ApiTags('operations')
@Controller()
export class HealthController {
  /** Probes share one check per READY_CACHE_MS, so a flood of them cannot load the dependencies. */
  readonly readiness = new CachedCheck(() => this.checkDependencies(), READY_CACHE_MS);

  constructor(
    @Inject(DB_POOL) private readonly pool: Pool,
    @Inject(BackendClient) private readonly backend: BackendClient,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the gateway process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database, NATS and the ledger answer', description: 'Checked at most once a second; probes in between get that answer.' })
  @ApiOkResponse({ schema: { example: { status: 'ready', checks: { database: 'ok', nats: 'ok', ledger: 'ok' } } } })
  @ApiServiceUnavailableResponse({ description: 'a dependency does not answer; checks says which' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; checks: Record<string, Check> }> {
    const { ready, checks } = await this.readiness.get();
    if (!ready) void reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { status: ready ? 'ready' : 'unavailable', checks };
  }

  private async checkDependencies(): Promise<Readiness> {
    const [database, nats, ledger] = await Promise.all([
      this.check(async () => {
        await this.pool.query('SELECT 1');
      }),
      this.check(() => this.backend.roundTrip()),
      this.check(async () => {
        const answer = await this.backend.probe<HealthReply>(PATTERNS.health('ledger'), PROBE_TIMEOUT_MS);
        if (answer.status !== 'ok') throw new Error('ledger is not ok');
      }),
    ]);
    const checks = { database, nats, ledger };
    return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
  }

  private async check(probe: () => Promise<void>): Promise<Check> {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      return (error as Error).message || (error as Error).name;
    }
  }
}
