/**
 * The allowance's commands and reply (NATS: PATTERNS.ledgerCommands). An allowance is what a
 * user may claim from the treasury once per period in one currency (seed 003's daily payout):
 * the admin sets or removes it; an app claims it for a user.
 */
import type { Command } from '../envelope';

/** How often an allowance may be claimed: periods start at 00:00 UTC (weekly: Monday 00:00 UTC, ISO weeks). */
export const ALLOWANCE_PERIODS = ['daily', 'weekly'] as const;
export type AllowancePeriod = (typeof ALLOWANCE_PERIODS)[number];

export function isAllowancePeriod(value: unknown): value is AllowancePeriod {
  return typeof value === 'string' && (ALLOWANCE_PERIODS as readonly string[]).includes(value);
}

export type SetAllowance = Command<'SetAllowance', { currency: string; amount: string; period: AllowancePeriod }>;

export type RemoveAllowance = Command<'RemoveAllowance', { currency: string }>;

export type ClaimAllowance = Command<'ClaimAllowance', { user_id: string; currency: string }>;

export type AllowanceCommand = SetAllowance | RemoveAllowance | ClaimAllowance;

/** An allowance as PUT /admin/allowances/:currency answers it. */
export interface AllowanceReply {
  currency: string;
  amount: string;
  period: AllowancePeriod;
  updated_at: string;
}
