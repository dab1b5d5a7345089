import { exceedsMaxRange, MAX_RANGE_DAYS } from "@/server/cdr/search-rules";
import { addDays, dayOf, firstOfMonth, instantFromDateInput, startOfDay } from "@/components/time/wall-time";

/**
 * The Calls page's periods. Calendar ones ("today", "this month", custom days) are days in the
 * tenant's time zone: "1 October" starts at midnight there, not in the browser's zone nor in UTC.
 */
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
 * tenant's zone. Returns null when a custom day is missing or not a date (URLs are typed by hand).
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
    case "custom": {
      const from = instantFromDateInput(fromDay, timeZone);
      if (!from || !toDay || !instantFromDateInput(toDay, timeZone)) return null;
      return { from, to: startOfDay(addDays(toDay, 1), timeZone) };
    }
  }
}

/**
 * Why a custom range cannot be searched, and under which of its two fields to say so; null when
 * it can. Whenever {@link rangeFor} gives no range, this gives a reason: a day that is not a date
 * shows empty in a date input, so it reads as missing too. A range longer than the search covers
 * is refused by the server's own rule (the field it names too), before any search is sent.
 */
export function customRangeError(fromDay: string, toDay: string, timeZone: string): { field: "from" | "to"; message: string } | null {
  const from = instantFromDateInput(fromDay, timeZone);
  const hasTo = instantFromDateInput(toDay, timeZone) !== null;
  if (!from || !hasTo) return { field: from ? "to" : "from", message: "Choose both dates" };
  if (toDay < fromDay) return { field: "to", message: "The end must be on or after the start" };
  if (exceedsMaxRange(from, startOfDay(addDays(toDay, 1), timeZone))) return { field: "from", message: `The range may span at most ${MAX_RANGE_DAYS} days` };
  return null;
}
