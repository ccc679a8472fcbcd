/** The finance event's request body and views (POST/GET /finance/events). */
import { ApiProperty } from '@nestjs/swagger';
import { TransactionView } from '../finance-transaction/dto';
import { FINANCE_EVENT_STATUSES, type FinanceEventDetails, type FinanceEventStatus } from './commands';
import { TIME } from '../dto/view-schemas';
import { DescriptionField } from '../dto/fields';

/** The body is optional: seed 000 opens a finance event with no body and no content type. */
export class OpenEventDto {
  @DescriptionField('round 12 of blackjack')
  description?: string | null;
}

export class FinanceEventOpen {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ enum: ['open'] }) status!: string;
  @ApiProperty({ ...TIME, description: 'when the finance event expires unless pinged before' }) expires_at!: string;
}

export class FinanceEventClosed {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ enum: ['closed'] }) status!: string;
  @ApiProperty({ ...TIME }) closed_at!: string;
}

export class FinanceEventAborted {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ enum: ['aborted'] }) status!: string;
  @ApiProperty({ ...TIME }) aborted_at!: string;
}

/** A finance event as the API shows it: the ledger's FinanceEventDetails (the compiler keeps them one shape). */
export class FinanceEventView implements FinanceEventDetails {
  @ApiProperty({ example: 12 }) event_id!: number;
  @ApiProperty({ example: 'app_1' }) app_id!: string;
  @ApiProperty({ enum: FINANCE_EVENT_STATUSES }) status!: FinanceEventStatus;
  @ApiProperty({ type: 'string', nullable: true, example: 'round 12 of blackjack' }) description!: string | null;
  @ApiProperty({ ...TIME }) opened_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) last_ping_at!: string | null;
  @ApiProperty({ ...TIME }) expires_at!: string;
  @ApiProperty({ ...TIME, nullable: true }) closed_at!: string | null;
  @ApiProperty({ ...TIME, nullable: true }) expired_at!: string | null;
  @ApiProperty({ ...TIME, nullable: true }) aborted_at!: string | null;
  @ApiProperty({ type: [TransactionView] }) transactions!: TransactionView[];
}
