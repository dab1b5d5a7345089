"use client";

import { clsx } from "clsx";
import { formatInstant, formatInstantFull, formatUtcOffset, type TInstantStyle } from "@/components/time/format-instant";
import { useTimeZone } from "@/components/time/time-zone-provider";

/**
 * A timestamp in a <time> element, in the tenant's time zone (TimeZoneProvider), with the
 * weekday, seconds and zone as a tooltip. `timeZone` overrides the provider, for pages outside
 * the signed-in areas; `showZone` adds the offset to the text where nothing on the page names
 * the zone.
 */
export function DateTime({
  value,
  style = "datetime",
  fallback = "—",
  className,
  timeZone,
  showZone = false,
}: {
  value: Date | null | undefined;
  style?: TInstantStyle;
  fallback?: string;
  className?: string;
  timeZone?: string;
  showZone?: boolean;
}) {
  const tenantTimeZone = useTimeZone();
  const zone = timeZone ?? tenantTimeZone;
  if (!value || Number.isNaN(value.getTime())) return <span className={clsx("text-slate-400", className)}>{fallback}</span>;
  return (
    <time dateTime={value.toISOString()} title={formatInstantFull(value, zone)} className={clsx("numeric", className)}>
      {formatInstant(value, zone, style)}
      {showZone && style !== "date" ? ` ${formatUtcOffset(value, zone)}` : null}
    </time>
  );
}
