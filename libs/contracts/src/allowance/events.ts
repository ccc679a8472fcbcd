/**
 * The allowance's domain events. A claim is two events in one append: AllowanceClaimed (who
 * claimed in which period: what refuses a second claim) and the TransactionPosted of type
 * `grant` that moves the amount from the treasury, linked by transaction_id.
 */
import type { AllowancePeriod } from './commands';

export interface AllowanceSet {
  currency: string;
  amount: string;
  period: AllowancePeriod;
  set_at: string;
}

export interface AllowanceRemoved {
  currency: string;
  removed_at: string;
}

export interface AllowanceClaimed {
  currency: string;
  user_id: string;
  /** The app that claimed it for the user. */
  app_id: string;
  period: AllowancePeriod;
  /** Start of the period it was claimed in (00:00 UTC; weekly: Monday): one claim per user per period. */
  period_start: string;
  amount: string;
  transaction_id: number;
  claimed_at: string;
}

export interface AllowanceEventMap {
  AllowanceSet: AllowanceSet;
  AllowanceRemoved: AllowanceRemoved;
  AllowanceClaimed: AllowanceClaimed;
}
