"use client";

import { clsx } from "clsx";
import { formatEffectiveDate } from "./effective-date";
import { formatInstantFull } from "./format-instant";
import { useTimeZone } from "./time-zone-provider";

/**
 * A rate's effective date in the tenant's zone (formatEffectiveDate), with the deck's own UTC
 * date muted beside it when the rate starts at midnight UTC: "30 Nov 2026, 19:00" over
 * "(01 Dec 2026 UTC)". `inline` keeps the note on the same line (inside a line of small print).
 */
export function EffectiveDateTime({ value, inline = false, className }: { value: Date; inline?: boolean; className?: string }) {
  const timeZone = useTimeZone();
  const { text, utcDate } = formatEffectiveDate(value, timeZone);
  return (
    <span className={clsx("whitespace-nowrap", className)}>
      <time dateTime={value.toISOString()} title={formatInstantFull(value, timeZone)} className="numeric">
        {text}
      </time>
      {utcDate ? (
        <span
          className={clsx("numeric text-slate-500", inline ? "ml-1" : "block text-xs")}
          title={`Midnight UTC on ${utcDate}, the date as the deck file gives it: ${text} in ${timeZone}`}
        >
          ({utcDate} UTC)
        </span>
      ) : null}
    </span>
  );
}
