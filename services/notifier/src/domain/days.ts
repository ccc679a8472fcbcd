/** UTC days as `YYYY-MM-DD`, for daily.summary. Pure. */
const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** Most past days summarised after a downtime: beyond, the oldest missed days are skipped (bounded work at start). */
export const MAX_SUMMARY_CATCH_UP_DAYS = 31;

/**
 * The days to summarise now, oldest first: every day after `lastDay` up to yesterday, at most
 * MAX_SUMMARY_CATCH_UP_DAYS of them. The first time ever (`lastDay` null), yesterday alone:
 * nobody could have asked for the days before the notifier existed.
 */
export function daysDue(lastDay: string | null, nowMs: number, maxDays = MAX_SUMMARY_CATCH_UP_DAYS): string[] {
  const yesterday = addDays(utcDay(nowMs), -1);
  const first = lastDay === null ? yesterday : addDays(lastDay, 1);
  const earliest = addDays(yesterday, -(maxDays - 1));
  const days: string[] = [];
  for (let day = first < earliest ? earliest : first; day <= yesterday; day = addDays(day, 1)) days.push(day);
  return days;
}
