"use client";

import { createContext, useContext, useMemo, type ReactNode } from "react";
import { DEFAULT_TIME_ZONE, formatInstant, formatInstantFull, formatUtcOffset, type TInstantStyle } from "./format-instant";

/**
 * The signed-in tenant's time zone, for every time the client shows. The admin and portal
 * layouts read it from the session on the server and pass it in, so the server render and
 * the browser's hydration format with the same zone: no flash, no hydration mismatch. Outside
 * a provider (signed-out pages, tests) times read in UTC, never the browser's zone, for the
 * same reason.
 */
const TimeZoneContext = createContext<string>(DEFAULT_TIME_ZONE);

export function TimeZoneProvider({ timeZone, children }: { timeZone: string; children: ReactNode }) {
  return <TimeZoneContext value={timeZone}>{children}</TimeZoneContext>;
}

/** The IANA name times are shown in, e.g. for a column header: `Started (${useTimeZone()})`. */
export function useTimeZone(): string {
  return useContext(TimeZoneContext);
}

export type TInstantFormat = {
  timeZone: string;
  /** "02 Dec 2026, 09:30" (see formatInstant). */
  format: (instant: Date, style?: TInstantStyle) => string;
  /** Tooltip text with weekday, seconds and zone (see formatInstantFull). */
  full: (instant: Date) => string;
  /** "UTC-05:00" at that instant. */
  offset: (instant: Date) => string;
};

/** Formatters bound to the tenant's zone, for text that is not a <DateTime> (titles, messages, chart labels). */
export function useInstantFormat(): TInstantFormat {
  const timeZone = useTimeZone();
  return useMemo(
    () => ({
      timeZone,
      format: (instant, style) => formatInstant(instant, timeZone, style),
      full: (instant) => formatInstantFull(instant, timeZone),
      offset: (instant) => formatUtcOffset(instant, timeZone),
    }),
    [timeZone],
  );
}

/**
 * Names the zone ("Times in America/Toronto"): once on every signed-in page under the tenant's
 * name in the shell, and in the header of a page that needs it said again. The offset is left
 * to each time's tooltip: it changes with DST, a header does not. `className` replaces the
 * default look (Tailwind classes of one kind do not override each other by order).
 */
export function TimeZoneNote({ className = "text-xs text-slate-500" }: { className?: string }) {
  const timeZone = useTimeZone();
  return (
    <span className={className} title="Dates and times on this page are in this time zone">
      Times in {timeZone}
    </span>
  );
}
