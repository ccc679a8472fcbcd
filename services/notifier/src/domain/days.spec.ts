import { addDays, daysDue, utcDay } from './days';

const at = (iso: string) => Date.parse(iso);

describe('the days daily.summary covers', () => {
  it('reads days in UTC', () => {
    expect(utcDay(at('2026-11-30T23:59:59.999Z'))).toBe('2026-11-30');
    expect(utcDay(at('2026-12-01T00:00:00Z'))).toBe('2026-12-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });

  it('is yesterday at 00:00 UTC, every missed day after a downtime, and nothing twice', () => {
    expect(daysDue(null, at('2026-12-01T00:00:05Z'))).toEqual(['2026-11-30']);
    expect(daysDue('2026-11-30', at('2026-12-01T13:00:00Z'))).toEqual([]);
    expect(daysDue('2026-11-27', at('2026-12-01T00:01:00Z'))).toEqual(['2026-11-28', '2026-11-29', '2026-11-30']);
  });

  it('catches up at most 31 days', () => {
    const due = daysDue('2025-01-01', at('2026-12-01T00:00:00Z'));
    expect(due).toHaveLength(31);
    expect(due[0]).toBe('2026-10-31');
    expect(due[30]).toBe('2026-11-30');
  });
});
