/** The shapes of the operators' routes (GET /admin/stats/supply, /admin/finance-events, /admin/users/:user_id, /admin/operations/*), for /docs. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import {
  BalanceLineView,
  CursorField,
  LimitField,
  RealmField,
  StatementQueryDto,
  TransactionView,
  UserAchievementView,
} from '@coffer/contracts/http';
import { POSITIVE_ID_TEXT_PATTERN } from '@coffer/contracts';

const TIME = { type: 'string', format: 'date-time', example: '2026-11-30T12:00:00.000Z' } as const;
const EXACT = 'an exact integer as a decimal string';

export class CurrencySupplyView {
  @ApiProperty({ example: 'coins' }) currency!: string;
  @ApiProperty({ description: `what the users' wallets hold, posted: ${EXACT}`, example: '125000' }) supply!: string;
  @ApiProperty({ description: `held by pending debits: ${EXACT}`, example: '300' }) pending_debit!: string;
  @ApiProperty({ description: `to come by pending credits: ${EXACT}`, example: '0' }) pending_credit!: string;
  @ApiProperty({ description: 'wallets holding or expecting any of it', example: 42 }) wallets!: number;
}

export class SupplyView {
  @ApiProperty({ type: [CurrencySupplyView], description: 'one line per currency, by currency' }) data!: CurrencySupplyView[];
}

export class OpenFinanceEventsQueryDto {
  @LimitField()
  limit?: number;

  @CursorField(POSITIVE_ID_TEXT_PATTERN)
  cursor?: string;

  @RealmField('the realm whose events to list')
  realm?: string;
}

export class OpenFinanceEventView {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ example: 'app_3f9c1e' }) app_id!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'round 12' }) description!: string | null;
  @ApiProperty(TIME) opened_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) last_ping_at!: string | null;
  @ApiProperty(TIME) expires_at!: string;
}

export class OpenFinanceEventsView {
  @ApiProperty({ type: [OpenFinanceEventView], description: 'open events of every app, oldest first' }) data!: OpenFinanceEventView[];
  @ApiProperty({ type: 'string', nullable: true, description: 'pass as cursor for the next page; null on the last' }) next_cursor!: string | null;
}

export class UserOverviewView {
  @ApiProperty({ example: '169015299834642432' }) user_id!: string;
  @ApiProperty({ type: [BalanceLineView], description: 'one line per currency (zeros in the default currency for an unknown user)' })
  balances!: BalanceLineView[];
  @ApiProperty({ type: [UserAchievementView], description: 'badges across every app (first 100, by app and key)' })
  achievements!: UserAchievementView[];
  @ApiProperty({ type: [TransactionView], description: 'the latest 20 transactions and transfers of the user, newest first, any app' })
  transactions!: TransactionView[];
}

export class AdminStatementQueryDto extends StatementQueryDto {
  @RealmField('the realm whose user it is')
  realm?: string;
}

export class EventStreamQueryDto {
  @ApiPropertyOptional({
    description: 'stream the events after this global position (default: the head, only what happens from now on); the Last-Event-ID header wins',
    example: '4194304',
  })
  @IsOptional()
  @Matches(/^(0|[1-9][0-9]{0,18})$/, { message: 'after must be a global position (digits)' })
  after?: string;
}

export class QuarantinedView {
  @ApiProperty({ example: 0, description: 'events the serving read models set aside' }) read_models!: number;
  @ApiProperty({ example: 0, description: 'events the analytics feed set aside' }) feed!: number;
}

export class ProjectionStatusView {
  @ApiProperty({ example: 3, description: 'the serving read-model generation' }) generation!: number;
  @ApiProperty({ type: QuarantinedView, description: 'events set aside (verify lists them)' })
  quarantined!: QuarantinedView;
  @ApiProperty({ type: 'string', nullable: true, example: '4194304', description: 'global position the read models have reached' }) position!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: '4194310', description: 'global position of the newest event in the store' }) head!: string | null;
  @ApiProperty({ example: 6, description: 'events not yet in the read models (counted up to 100000)' }) behind_events!: number;
  @ApiProperty({ ...TIME, nullable: true }) last_event_at!: string | null;
  @ApiProperty({ example: 0.2, description: 'age in seconds of the oldest event not yet in the read models (0 when caught up)' }) lag_seconds!: number;
  @ApiProperty({ example: '4194304' }) events_projected!: string;
}

export const OPERATION_KINDS = ['verify', 'rebuild'] as const;
export const OPERATION_STATUSES = ['running', 'done', 'failed'] as const;

export class OperationProgressView {
  @ApiProperty({ example: 120000 }) done!: number;
  @ApiProperty({ example: 480000 }) total!: number;
}

export class OperationResultView {
  @ApiPropertyOptional({ description: 'verify: the books balance and every read model equals a fresh fold', example: true }) ok?: boolean;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'verify: the global position it checked at', example: '4194304' }) position?: string | null;
  @ApiPropertyOptional({ type: [String], description: 'verify: what is wrong, one line each', example: [] }) problems?: string[];
  @ApiPropertyOptional({ description: 'rebuild: the generation now serving', example: 4 }) generation?: number;
  @ApiPropertyOptional({ description: 'rebuild: events replayed', example: 480000 }) events?: number;
  @ApiPropertyOptional({ description: 'rebuild: how long it took', example: 12.5 }) seconds?: number;
  @ApiPropertyOptional({ description: 'rebuild: replay speed', example: 38400 }) events_per_second?: number;
}

export class OperationJobView {
  @ApiProperty({ format: 'uuid', example: '0b7f3c52-9d4e-4a53-9f59-1d8a7c2e6f10' }) operation_id!: string;
  @ApiProperty({ enum: OPERATION_KINDS }) kind!: (typeof OPERATION_KINDS)[number];
  @ApiProperty({ enum: OPERATION_STATUSES, description: 'done: ended with a result (a verify that found problems is done with result.ok false); failed: it could not run to its end' })
  status!: (typeof OPERATION_STATUSES)[number];
  @ApiProperty(TIME) started_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) finished_at!: string | null;
  @ApiProperty({ type: OperationProgressView, nullable: true, description: 'events replayed so far and in all (rebuild only)' })
  progress!: OperationProgressView | null;
  @ApiProperty({ type: OperationResultView, nullable: true, description: 'once done: verify fills ok, position and problems; rebuild generation, events, seconds and events_per_second' })
  result!: OperationResultView | null;
  @ApiProperty({ type: 'string', nullable: true, example: null }) error!: string | null;
}

export class OperationJobQueryView {
  @ApiProperty({ type: OperationJobView, nullable: true, description: 'the latest job this gateway ran (null: none since it started)' })
  job!: OperationJobView | null;
}
