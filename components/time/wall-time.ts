import { wallClock } from "./format-instant";

/**
 * Between instants and what people type: the value of an `<input type="datetime-local">`
 * ("2026-03-08T02:30") or `<input type="date">` ("2026-03-08") read on the clock of the
 * tenant's zone, never the browser's. An admin in Berlin setting a Toronto tenant's rate to
 * start "1 Oct 00:00" means Toronto's midnight; so does a customer filtering calls by day.
 * Safe on the server and in the browser alike; no library, the zone's offsets come from Intl
 * through wallClock.
 *
 * Wall times that a DST change skips or repeats follow the same rule as the server's reader
 * of CDR and deck timestamps (server/rating/time-zone.ts), Temporal's "compatible":
 * - a time in the spring-forward gap, which no clock showed, moves forward by the size of the
 *   gap (02:30 on 8 Mar 2026 in America/Toronto is 03:30 EDT), as a clock set by hand would;
 * - a time in the repeated fall-back hour is its first occurrence, still on summer time
 *   (01:30 on 1 Nov 2026 in America/Toronto is 01:30 EDT, 05:30 UTC).
 * So every wall time names exactly one instant, and an instant in the second occurrence of a
 * repeated hour does not survive the trip through a datetime-local input (which has no
 * offset): it comes back as the first occurrence, earlier by the size of the change.
 */

const MS_PER_DAY = 86_400_000;

const DATE_INPUT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

function dayOfClock(clock: { year: number; month: number; day: number }): string {
  return `${String(clock.year).padStart(4, "0")}-${twoDigits(clock.month)}-${twoDigits(clock.day)}`;
}

function offsetAt(utcMs: number, timeZone: string): number {
  return wallClock(new Date(utcMs), timeZone).offsetMs;
}

/**
 * The wall time as if it were UTC (Date.UTC of its fields), or null when a field is out of
 * range: Date.UTC would quietly roll 30 February over into March.
 */
function wallAsUtc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number | null {
  if (hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return wall;
}

/** The instant `timeZone`'s clock shows `wall` (a wall time as UTC milliseconds), by the rule at the top. */
function instantOfWall(wall: number, timeZone: string): Date {
  // Offsets a day either side bracket the instant whatever the zone (offsets stay within
  // ±14 h), so they are the offsets before and after any change near it.
  const offsetBefore = offsetAt(wall - MS_PER_DAY, timeZone);
  const offsetAfter = offsetAt(wall + MS_PER_DAY, timeZone);
  const shown = [wall - offsetBefore, wall - offsetAfter].filter((candidate) => candidate + offsetAt(candidate, timeZone) === wall);
  // Two: the repeated hour, the earlier wins. None: the gap, read with the offset before it,
  // which lands past the gap by its size.
  return new Date(shown.length > 0 ? Math.min(...shown) : wall - offsetBefore);
}

/**
 * The instant a datetime-local value ("2026-10-01T09:30", optionally with seconds and
 * milliseconds) names on `timeZone`'s clock; null when it is not a real date and time.
 */
export function instantFromDateTimeInput(value: string | null | undefined, timeZone: string): Date | null {
  const match = DATE_TIME_INPUT.exec(value ?? "");
  if (!match) return null;
  const [year, month, day, hour, minute, second, fraction] = match.slice(1);
  const wall = wallAsUtc(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second ?? 0), Number((fraction ?? "0").padEnd(3, "0")));
  return wall === null ? null : instantOfWall(wall, timeZone);
}

/** The datetime-local value ("2026-10-01T09:30") showing `instant` on `timeZone`'s clock; seconds are dropped, as the input's default step does. */
export function dateTimeInputValue(instant: Date, timeZone: string): string {
  if (Number.isNaN(instant.getTime())) return "";
  const clock = wallClock(instant, timeZone);
  return `${dayOfClock(clock)}T${twoDigits(clock.hour)}:${twoDigits(clock.minute)}`;
}

/**
 * The day ("2026-09-30") `instant` falls on in `timeZone`: a date input's value, and "today"
 * as `dayOf(new Date(), timeZone)`. Empty for an invalid instant.
 */
export function dayOf(instant: Date, timeZone: string): string {
  return Number.isNaN(instant.getTime()) ? "" : dayOfClock(wallClock(instant, timeZone));
}

/**
 * The first instant of a day ("2026-10-01", a date input's value) in `timeZone`: local
 * midnight, or the end of the gap where a DST change skips midnight itself; null when it is
 * not a real date.
 */
export function instantFromDateInput(value: string | null | undefined, timeZone: string): Date | null {
  const match = DATE_INPUT.exec(value ?? "");
  if (!match) return null;
  const wall = wallAsUtc(Number(match[1]), Number(match[2]), Number(match[3]));
  return wall === null ? null : instantOfWall(wall, timeZone);
}

/** instantFromDateInput for a day known to be valid (from dayOf, addDays, firstOfMonth); an invalid one gives an Invalid Date. */
export function startOfDay(day: string, timeZone: string): Date {
  return instantFromDateInput(day, timeZone) ?? new Date(Number.NaN);
}

/** Whether `instant` is the first instant of its day in `timeZone` (a rate starting "on a date"). */
export function isStartOfDay(instant: Date, timeZone: string): boolean {
  return !Number.isNaN(instant.getTime()) && startOfDay(dayOf(instant, timeZone), timeZone).getTime() === instant.getTime();
}

/** The calendar day `days` after (or before) `day`: "2026-12-31" + 1 = "2027-01-01". */
export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** The first day of `day`'s month, or of the month `monthsBack` before it. */
export function firstOfMonth(day: string, monthsBack = 0): string {
  const [year, month] = day.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, month - 1 - monthsBack, 1)).toISOString().slice(0, 10);
}

/**
 * A date input's value as a calendar date, for DATE columns (fee start and end days): UTC
 * midnight, the form formatCalendarDate reads back, so the day never moves with a zone; null
 * when it is not a real date.
 */
export function calendarDateFromInput(value: string | null | undefined): Date | null {
  const match = DATE_INPUT.exec(value ?? "");
  if (!match) return null;
  const wall = wallAsUtc(Number(match[1]), Number(match[2]), Number(match[3]));
  return wall === null ? null : new Date(wall);
}
