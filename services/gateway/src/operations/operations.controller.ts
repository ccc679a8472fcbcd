import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { EventStore } from '@coffer/event-store';
import { Generations, status } from '@coffer/projector/dist/operations';
import { EVENT_STORE } from '@coffer/platform';
import { AdminRoles } from '../auth/admin-roles';
import { AdminGuard } from '../auth/admin.guard';
import { ApiError } from '../http/api-error';
import { ApiErrors } from '../http/api-docs';
import { DB_POOL } from '../tokens';
import { EventStreams } from './event-streams';
import { OperationJobs, type OperationKind } from './operation-jobs';
import { EventStreamQueryDto, OperationJobQueryView, OperationJobView, ProjectionStatusView } from './views';

const ONE_AT_A_TIME = 'One job at a time across every gateway: while a verify or rebuild runs, another is 409 CONFLICT. GET /admin/operations/job follows it.';

/** The CLI's status, verify and rebuild for operators (the console's operations page), and the live event stream. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'UNAVAILABLE')
@UseGuards(AdminGuard)
@Controller('admin')
export class OperationsController {
  private readonly generations: Generations;

  constructor(
    @Inject(DB_POOL) pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OperationJobs) private readonly jobs: OperationJobs,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {
    this.generations = new Generations(pool);
  }

  @Get('operations/status')
  @ApiOperation({ operationId: 'getProjectionStatus', summary: 'Where the read models stand against the event store (projection lag)', description: 'What `npm run coffer -- status` prints.' })
  @ApiOkResponse({ type: ProjectionStatusView })
  async status(): Promise<ProjectionStatusView> {
    return status(this.store, this.generations);
  }

  @Post('operations/verify')
  @HttpCode(202)
  @AdminRoles('operator') // operators verify and rebuild; auditors only read the status and the job
  @ApiOperation({
    operationId: 'startVerify',
    summary: 'Verify the books and the read models (a job)',
    description: `What \`npm run coffer -- verify\` does: every currency sums to zero and every read model equals a fresh fold of the events. ${ONE_AT_A_TIME}`,
  })
  @ApiAcceptedResponse({ type: OperationJobView })
  @ApiErrors('CONFLICT')
  async verify(): Promise<OperationJobView> {
    return this.start('verify');
  }

  @Post('operations/rebuild')
  @HttpCode(202)
  @AdminRoles('operator')
  @ApiOperation({
    operationId: 'startRebuild',
    summary: 'Rebuild the read models (a job, with progress)',
    description: `What \`npm run coffer -- rebuild all\` does: replays every event into a fresh generation and swaps it in, while the API keeps serving. ${ONE_AT_A_TIME}`,
  })
  @ApiAcceptedResponse({ type: OperationJobView })
  @ApiErrors('CONFLICT')
  async rebuild(): Promise<OperationJobView> {
    return this.start('rebuild');
  }

  @Get('operations/job')
  @ApiOperation({ operationId: 'getOperationJob', summary: "The latest verify or rebuild this gateway ran, with its progress and result" })
  @ApiOkResponse({ type: OperationJobQueryView })
  job(): OperationJobQueryView {
    return { job: this.jobs.current };
  }

  @Get('events/stream')
  @ApiOperation({
    operationId: 'streamEvents',
    summary: 'The domain events as they are stored, as server-sent events',
    description:
      'text/event-stream: one message per public event (`id` its global position, `event` its type, `data` its JSON envelope as on ' +
      'the analytics feed), a `: heartbeat` comment every 15 s, resumable with Last-Event-ID. At most 8 streams per gateway at once ' +
      '(429 RATE_LIMITED beyond); a client that stops reading is cut off.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors('VALIDATION_FAILED', 'RATE_LIMITED')
  async stream(@Query() query: EventStreamQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const lastEventId = request.headers['last-event-id'];
    const resume = typeof lastEventId === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(lastEventId) ? lastEventId : query.after;
    this.streams.admit(); // refused as JSON before the stream's headers are written
    reply.hijack();
    // Headers set on the reply before the hijack (the correlation id) go out with the stream's.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string);
    await this.streams.serve(reply.raw, resume === undefined ? undefined : BigInt(resume));
  }

  private async start(kind: OperationKind): Promise<OperationJobView> {
    const job = await this.jobs.start(kind);
    if (!job) {
      throw new ApiError('CONFLICT', 'a verify or rebuild is running already: follow it at GET /admin/operations/job', { running: this.jobs.current });
    }
    return job;
  }
}
