/**
 * An allowance's periods, in UTC: a daily one starts at 00:00 UTC, a weekly one on Monday at
 * 00:00 UTC (ISO 8601 weeks), whatever the users' time zones, so every writer and every replay
 * agrees on which period a claim fell in.
 */
import type { AllowancePeriod } from '@coffer/contracts';

const DAY_MS = 86_400_000;

/** The start of the period `at` falls in (epoch milliseconds). */
export function periodStartMs(period: AllowancePeriod, atMs: number): number {
  const dayStart = Math.floor(atMs / DAY_MS) * DAY_MS;
  if (period === 'daily') return dayStart;
  // getUTCDay: Sunday 0 … Saturday 6; days since the last Monday: Monday 0 … Sunday 6.
  const sinceMonday = (new Date(dayStart).getUTCDay() + 6) % 7;
  return dayStart - sinceMonday * DAY_MS;
}

/** The start of the next period: when a user who claimed in this one may claim again. */
export function nextPeriodStartMs(period: AllowancePeriod, atMs: number): number {
  return periodStartMs(period, atMs) + (period === 'daily' ? DAY_MS : 7 * DAY_MS);
}
