import { formatUtcOffset, isKnownTimeZone } from "@/components/time/format-instant";

/**
 * The choices of the company's time-zone picker: the browser's IANA zones plus UTC, grouped by
 * region ("America", "Europe"…), each labelled with the offset in force now. No hooks, so it is
 * the same on the server and in the browser and can be tested on its own.
 */

export type TTimeZoneOption = { value: string; label: string };
export type TTimeZoneGroup = { region: string; options: TTimeZoneOption[] };

function supportedZones(): readonly string[] {
  // Every browser the app supports has it; an older engine still gets UTC and the stored zone.
  return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
}

/**
 * UTC first, then regions in alphabetical order. `current` is always offered, even when this
 * browser lists it under another name ("Asia/Calcutta" for "Asia/Kolkata"): a select whose value
 * is not among its options would show, and save, the first zone instead.
 */
export function timeZoneGroups(current: string, now: Date, zones: readonly string[] = supportedZones()): TTimeZoneGroup[] {
  const names = new Set(zones.filter((zone) => zone !== "UTC" && isKnownTimeZone(zone)));
  if (current !== "" && current !== "UTC" && isKnownTimeZone(current)) names.add(current);
  const byRegion = new Map<string, TTimeZoneOption[]>();
  for (const zone of [...names].sort()) {
    const slash = zone.indexOf("/");
    const region = slash > 0 ? zone.slice(0, slash) : "Other";
    const options = byRegion.get(region) ?? [];
    options.push({ value: zone, label: `${zone} (${formatUtcOffset(now, zone)})` });
    byRegion.set(region, options);
  }
  return [
    { region: "UTC", options: [{ value: "UTC", label: "UTC" }] },
    ...[...byRegion.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([region, options]) => ({ region, options })),
  ];
}
