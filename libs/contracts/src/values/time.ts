/**
 * Times in requests (API.md, "Conventions"): RFC 3339, either a date-time with `Z` or an offset
 * (`2026-11-30T12:00:00Z`, `2026-11-30T13:00:00.5+01:00`) or a plain full-date (`2026-11-30`,
 * midnight UTC). Nothing else: ISO 8601's week dates, ordinal dates and basic format, and what
 * `new Date()` also guesses at (`yesterday`, `2026-13-45` rolled over), are refused, so a time
 * means one instant everywhere and a store never sees one it cannot hold.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2})))?$/;

/** What the rule says, for messages and the OpenAPI description. */
export const TIME_RULE = 'an RFC 3339 time (2026-11-30T12:00:00Z, or with an offset) or date (2026-11-30)';

const daysIn = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/**
 * The instant an RFC 3339 time or date names (milliseconds; finer fractions are cut), or null.
 * Years run from 0001 to 9999: year 0000 exists in neither RFC 3339's calendar nor PostgreSQL's.
 * A leap second (:60) is refused: neither a JS Date nor PostgreSQL holds one.
 */
export function parseTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = RFC3339.exec(value);
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', , sign, oh = '0', om = '0'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || Number(oh) > 23 || Number(om) > 59) return null;
  const ms = Number(`${fraction.slice(1)}000`.slice(0, 3)); // digits, not float arithmetic: .029 is 29 ms
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // Date.UTC maps years 0-99 to 1900-1999
  utc.setUTCHours(hour, minute, second, ms);
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}
