/**
 * The one way the product writes an instant: the tenant's wall-clock time, day first, 24-hour
 * ("02 Dec 2026, 09:30", "02 Dec 2026, 09:30:00", "02 Dec 2026"), whatever the browser's
 * locale or zone. People compare the same call across pages, statements, CSV downloads and
 * their switch's own records, and all of those speak the tenant's time.
 *
 * Safe on the server and in the browser alike (no hooks, no `server-only`). The text is built
 * from Intl's numeric parts and our own month names rather than from a locale's pattern:
 * Node and browsers ship different ICU versions ("Sep" vs "Sept" in en-GB, narrow no-break
 * spaces in en-US times), and any difference between the server's render and the browser's
 * is a hydration mismatch.
 */

/** Where no tenant is known (signed-out pages, tests): deterministic on server and client alike. */
export const DEFAULT_TIME_ZONE = "UTC";

/** "date": 02 Dec 2026; "datetime": 02 Dec 2026, 09:30; "precise": 02 Dec 2026, 09:30:00 (call times). */
export type TInstantStyle = "date" | "datetime" | "precise";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const INVALID_TEXT = "Invalid date";

/** An instant as a zone's clock shows it (month 1-12), and that zone's UTC offset then. */
export type TWallClock = { year: number; month: number; day: number; hour: number; minute: number; second: number; offsetMs: number };

// Building an Intl.DateTimeFormat costs far more than using one; a page has one or two zones.
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      // "h23", not `hour12: false`: some engines read the latter as h24 and print midnight as 24:00.
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    partsFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * What the clock in `timeZone` shows at `instant`, to the second (milliseconds dropped), with
 * the offset in force then. The one place the client reads a zone's clock: formatting here
 * and the input conversions in ./wall-time.ts both build on it. Throws a RangeError for an
 * invalid instant or an unknown zone.
 */
export function wallClock(instant: Date, timeZone: string): TWallClock {
  const parts = partsFormatter(timeZone).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((candidate) => candidate.type === type)?.value ?? 0);
  const clock = { year: part("year"), month: part("month"), day: part("day"), hour: part("hour"), minute: part("minute"), second: part("second") };
  const wallAsUtc = Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
  return { ...clock, offsetMs: wallAsUtc - Math.floor(instant.getTime() / 1000) * 1000 };
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

function isValidInstant(value: Date): boolean {
  return !Number.isNaN(value.getTime());
}

/** Whether Intl knows `timeZone`. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === "") return false;
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The tenant's zone as the UI should use it, resolved once on the server and handed to the
 * client unchanged. Not canonicalised on purpose: Node and browsers disagree on some canonical
 * names ("Asia/Calcutta" vs "Asia/Kolkata"), and the name is shown. A zone Intl does not know
 * (a bad row) shows UTC rather than failing every page.
 */
export function usableTimeZone(timeZone: string | null | undefined): string {
  return timeZone && isKnownTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
}

function offsetText(offsetMs: number): string {
  const offsetMinutes = Math.round(offsetMs / 60_000);
  if (offsetMinutes === 0) return "UTC";
  const sign = offsetMinutes < 0 ? "-" : "+";
  const absolute = Math.abs(offsetMinutes);
  return `UTC${sign}${twoDigits(Math.floor(absolute / 60))}:${twoDigits(absolute % 60)}`;
}

function partsOf(clock: TWallClock, style: TInstantStyle): { date: string; time: string } {
  const date = `${twoDigits(clock.day)} ${MONTHS[clock.month - 1] ?? "?"} ${clock.year}`;
  if (style === "date") return { date, time: "" };
  const time = `${twoDigits(clock.hour)}:${twoDigits(clock.minute)}`;
  return { date, time: style === "precise" ? `${time}:${twoDigits(clock.second)}` : time };
}

/** "UTC-05:00", "UTC+05:30", "UTC" (offset zero): the offset in force in `timeZone` at `instant`. */
export function formatUtcOffset(instant: Date, timeZone: string): string {
  return isValidInstant(instant) ? offsetText(wallClock(instant, timeZone).offsetMs) : "";
}

/**
 * The date and time of formatInstant apart, for layouts that stack them (time over date in a
 * dense table): { date: "02 Dec 2026", time: "09:30:00" }. "date" style gives an empty time.
 */
export function formatInstantParts(instant: Date, timeZone: string, style: TInstantStyle = "datetime"): { date: string; time: string } {
  return isValidInstant(instant) ? partsOf(wallClock(instant, timeZone), style) : { date: INVALID_TEXT, time: "" };
}

/** "02 Dec 2026, 09:30" in `timeZone`; "date" and "precise" drop the time or add seconds. */
export function formatInstant(instant: Date, timeZone: string, style: TInstantStyle = "datetime"): string {
  if (!isValidInstant(instant)) return INVALID_TEXT;
  const { date, time } = formatInstantParts(instant, timeZone, style);
  return style === "date" ? date : `${date}, ${time}`;
}

/**
 * The tooltip of every shown time: weekday, seconds and the zone, so a time is never
 * ambiguous even where the page does not name the zone. "Wed 02 Dec 2026, 09:30:00
 * UTC-05:00 (America/New_York)"; just "… 09:30:00 UTC" in UTC. The offset stands in for an
 * abbreviation: Intl has real abbreviations ("EST") for a few zones only, and which ones
 * depends on the locale and ICU version.
 */
export function formatInstantFull(instant: Date, timeZone: string): string {
  if (!isValidInstant(instant)) return INVALID_TEXT;
  const clock = wallClock(instant, timeZone);
  const weekday = WEEKDAYS[new Date(Date.UTC(clock.year, clock.month - 1, clock.day)).getUTCDay()] ?? "";
  const { date, time } = partsOf(clock, "precise");
  const offset = offsetText(clock.offsetMs);
  const zone = timeZone === "UTC" || timeZone === "Etc/UTC" ? offset : `${offset} (${timeZone})`;
  return `${weekday} ${date}, ${time} ${zone}`;
}

/**
 * A calendar date stored as UTC midnight (a DATE column: fee start days, periods): "02 Dec
 * 2026" whatever the tenant's zone, which would move it to the previous day west of UTC.
 */
export function formatCalendarDate(date: Date): string {
  return formatInstant(date, "UTC", "date");
}
