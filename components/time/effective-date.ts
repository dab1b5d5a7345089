import { formatCalendarDate, formatInstant } from "./format-instant";
import { isStartOfDay } from "./wall-time";

const MS_PER_DAY = 86_400_000;

/**
 * A rate's effective_from or effective_to as the rates pages show it. `text` is the tenant's
 * time, the date alone when the rate starts at a midnight of the tenant's zone (deck dates
 * read in that zone, the import's default), else date and time. `utcDate` is the UTC date
 * when the instant is exactly midnight UTC and the tenant's clock shows something else: a deck
 * whose dates were read as UTC (the import's time zone set to UTC, or dates written with "Z")
 * says "2026-12-01", which a Toronto tenant's clock shows as "30 Nov 2026, 19:00"; the UTC date
 * beside it shows the import read the file right. Null otherwise.
 *
 * { text: "30 Nov 2026, 19:00", utcDate: "01 Dec 2026" } for 2026-12-01T00:00Z in America/Toronto;
 * { text: "01 Dec 2026", utcDate: null } for the same instant in UTC, or for 2026-12-01T05:00Z
 * (Toronto's midnight) in Toronto.
 */
export function formatEffectiveDate(instant: Date, timeZone: string): { text: string; utcDate: string | null } {
  const text = formatInstant(instant, timeZone, isStartOfDay(instant, timeZone) ? "date" : "datetime");
  if (instant.getTime() % MS_PER_DAY !== 0) return { text, utcDate: null };
  const utcDate = formatCalendarDate(instant);
  return { text, utcDate: utcDate === text ? null : utcDate };
}
