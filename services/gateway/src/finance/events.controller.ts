import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  PATTERNS,
  isSettledEventPointer,
  type FinanceEventReply,
  type GetEventReply,
  type LedgerQuery,
} from '@coffer/contracts';
import {
  FinanceEventAborted,
  FinanceEventClosed,
  FinanceEventOpen,
  FinanceEventView,
  OpenEventDto,
  ReadQueryDto,
} from '@coffer/contracts/http';
import { AppAuthGuard } from '../auth/app-auth.guard';
import { CurrentApp, type AppCaller } from '../auth/caller';
import { NatsRequestClient } from '../backend/nats-request-client';
import { Command, CommandSender, type CommandContext } from '../commands/command-sender';
import { ApiErrors, ApiIdempotent, COMMAND_RESPONSE_HEADERS } from '../http/api-docs';
import { descriptionOrNull } from '../http/normalize';
import { PositiveIdParam, positiveIdParamDoc } from '../http/path-params';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ReadConsistency } from '../reads/consistency';
import { FinanceReads } from './finance-reads';
import { abortedEventView, closedEventView, eventDetailsView, openEventView } from './views';

const EVENT_ID = { ...positiveIdParamDoc('id'), description: 'the finance event' };

/**
 * Finance events (seed 000): an app opens one, pings it while its round runs, and closes it to
 * post every pending transaction; one left without a ping for the timeout expires and is undone.
 */
@ApiTags('finance')
@ApiBearerAuth()
@ApiErrors('UNAUTHENTICATED', 'RATE_LIMITED', 'UNAVAILABLE')
@UseGuards(AppAuthGuard, RateLimitGuard)
@Controller('finance/event')
export class FinanceEventsController {
  constructor(
    @Inject(CommandSender) private readonly commands: CommandSender,
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(FinanceReads) private readonly reads: FinanceReads,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
  ) {}

  @Post()
  @ApiOperation({ operationId: 'openEvent', summary: 'Open a finance event', description: 'The body is optional.' })
  @ApiIdempotent()
  @ApiCreatedResponse({ type: FinanceEventOpen, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED')
  async open(@Body() body: OpenEventDto, @Command() context: CommandContext): Promise<FinanceEventOpen> {
    const description = descriptionOrNull(body.description);
    const { result } = await this.commands.send<FinanceEventReply>(context, '/finance/event', { description }, {
      type: 'OpenEvent',
      data: { description },
    });
    return openEventView(result);
  }

  @Post(':id/ping')
  @HttpCode(200)
  @ApiOperation({ operationId: 'pingEvent', summary: 'Keep a finance event open', description: 'Moves its expiry a full timeout ahead.' })
  @ApiParam(EVENT_ID)
  @ApiIdempotent()
  @ApiOkResponse({ type: FinanceEventOpen, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'EVENT_NOT_OPEN', 'IDEMPOTENCY_KEY_REUSED')
  async ping(@PositiveIdParam('id') eventId: number, @Command() context: CommandContext): Promise<FinanceEventOpen> {
    const path = `/finance/event/${eventId}/ping`;
    const { result } = await this.commands.send<FinanceEventReply>(context, path, null, { type: 'PingEvent', data: { event_id: eventId } });
    return openEventView(result);
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ operationId: 'closeEvent', summary: 'Close a finance event', description: 'Posts every pending transaction of the event.' })
  @ApiParam(EVENT_ID)
  @ApiIdempotent()
  @ApiOkResponse({ type: FinanceEventClosed, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'EVENT_NOT_OPEN', 'IDEMPOTENCY_KEY_REUSED')
  async close(@PositiveIdParam('id') eventId: number, @Command() context: CommandContext): Promise<FinanceEventClosed> {
    const path = `/finance/event/${eventId}/close`;
    const { result } = await this.commands.send<FinanceEventReply>(context, path, null, { type: 'CloseEvent', data: { event_id: eventId } });
    return closedEventView(result);
  }

  @Post(':id/abort')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Abort a finance event',
    description: 'Voids every pending transaction of the event now, exactly as an expiry does (the round was cancelled, the game crashed).',
  })
  @ApiParam(EVENT_ID)
  @ApiIdempotent()
  @ApiOkResponse({ type: FinanceEventAborted, headers: COMMAND_RESPONSE_HEADERS })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND', 'EVENT_NOT_OPEN', 'IDEMPOTENCY_KEY_REUSED')
  async abort(@PositiveIdParam('id') eventId: number, @Command() context: CommandContext): Promise<FinanceEventAborted> {
    const path = `/finance/event/${eventId}/abort`;
    const { result } = await this.commands.send<FinanceEventReply>(context, path, null, { type: 'AbortEvent', data: { event_id: eventId } });
    return abortedEventView(result);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getEvent', summary: 'A finance event of this app, with its transactions' })
  @ApiParam(EVENT_ID)
  @ApiOkResponse({ type: FinanceEventView })
  @ApiErrors('VALIDATION_FAILED', 'NOT_FOUND')
  async get(
    @PositiveIdParam('id') eventId: number,
    @Query() query: ReadQueryDto,
    @CurrentApp() app: AppCaller,
  ): Promise<FinanceEventView> {
    // Another app's event is a 404 like a missing one: ids reveal nothing.
    const fromReadModels = () => this.reads.event(eventId, app.app_id);
    const strong = async () => {
      const ledgerQuery: LedgerQuery = { type: 'GetEvent', event_id: eventId, app_id: app.app_id };
      const reply = await this.backend.request<GetEventReply>(PATTERNS.ledgerQueries, ledgerQuery, app);
      // The ledger keeps only open events in full; a settled one is final, and exact in the
      // read models from the position it names on.
      return isSettledEventPointer(reply) ? this.consistency.readFrom(reply.position, fromReadModels) : reply;
    };
    const details = await this.consistency.readOrStrong(app.app_id, query, fromReadModels, strong);
    return eventDetailsView(details);
  }
}
