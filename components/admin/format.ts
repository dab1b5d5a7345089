import { DEFAULT_TIME_ZONE, formatInstant, formatInstantFull, type TInstantStyle } from "@/components/time/format-instant";

export type TDateStyle = TInstantStyle;

/**
 * "02 Dec 2026, 09:30" in `timeZone`. Components take the zone from useTimeZone() or use
 * useInstantFormat() (components/time/time-zone-provider.tsx); the UTC default only keeps
 * server and browser renders identical, it is not the tenant's time.
 */
export function formatDate(value: Date, style: TDateStyle = "datetime", timeZone: string = DEFAULT_TIME_ZONE): string {
  return formatInstant(value, timeZone, style);
}

/** Weekday, seconds and zone, for tooltips: "Wed 02 Dec 2026, 09:30:00 UTC-05:00 (America/New_York)". */
export function formatFullDate(value: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  return formatInstantFull(value, timeZone);
}

/** "850 ms", "12.4 s", "3 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
