/**
 * Calendar days in the tenant's time zone: "1 October" starts at local midnight there, not in
 * the browser's zone nor in UTC. No library: Intl gives the zone's offset at an instant.
 */

function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant local midnight of `day` ("YYYY-MM-DD") begins in `timeZone`. */
export function startOfDay(day: string, timeZone: string): Date {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(year, month - 1, date);
  // Two passes settle days on which the offset changes (DST).
  let instant = wall - offsetMs(wall, timeZone);
  instant = wall - offsetMs(instant, timeZone);
  return new Date(instant);
}

/** "YYYY-MM-DD" of an instant in `timeZone`. */
export function dayOf(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
}

export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

export function firstOfMonth(day: string, monthsBack = 0): string {
  const [year, month] = day.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, month - 1 - monthsBack, 1)).toISOString().slice(0, 10);
}

export const RANGE_PRESETS = [
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "today", label: "Today" },
  { value: "month", label: "This month" },
  { value: "lastMonth", label: "Last month" },
  { value: "custom", label: "Custom dates…" },
] as const;
export type TRangePreset = (typeof RANGE_PRESETS)[number]["value"];

/**
 * [from, to) for a preset at `now`; "custom" takes inclusive days (`fromDay`..`toDay`) in the
 * tenant's zone. Returns null when the custom days are incomplete.
 */
export function rangeFor(preset: TRangePreset, now: Date, timeZone: string, fromDay?: string, toDay?: string): { from: Date; to: Date } | null {
  const hour = 3_600_000;
  const today = dayOf(now, timeZone);
  switch (preset) {
    case "24h":
      return { from: new Date(now.getTime() - 24 * hour), to: now };
    case "7d":
      return { from: new Date(now.getTime() - 7 * 24 * hour), to: now };
    case "30d":
      return { from: new Date(now.getTime() - 30 * 24 * hour), to: now };
    case "today":
      return { from: startOfDay(today, timeZone), to: startOfDay(addDays(today, 1), timeZone) };
    case "month":
      return { from: startOfDay(firstOfMonth(today), timeZone), to: startOfDay(addDays(today, 1), timeZone) };
    case "lastMonth":
      return { from: startOfDay(firstOfMonth(today, 1), timeZone), to: startOfDay(firstOfMonth(today), timeZone) };
    case "custom":
      if (!fromDay || !toDay) return null;
      return { from: startOfDay(fromDay, timeZone), to: startOfDay(addDays(toDay, 1), timeZone) };
  }
}
