import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLocalTimestampFormatter } from "@/server/lib/local-timestamp";
import { createTimestampParser, TimeZoneError } from "@/server/rating/time-zone";

const withMs = (timeZone: string) => createLocalTimestampFormatter(timeZone, { milliseconds: true });
const toSecond = (timeZone: string) => createLocalTimestampFormatter(timeZone, { milliseconds: false });
const at = (iso: string) => new Date(iso);

/** The wall time Intl gives for an instant, as "YYYY-MM-DD HH:MM:SS": the slow, trusted reference. */
function intlWallTime(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => parts.find((part) => part.type === type)!.value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour") === "24" ? "00" : get("hour")}:${get("minute")}:${get("second")}`;
}

describe("createLocalTimestampFormatter", () => {
  it("writes America/Toronto across the spring-forward change: 01:59:59 EST is followed by 03:00:00 EDT", () => {
    const toronto = withMs("America/Toronto");
    expect(toronto.format(at("2026-03-08T06:59:59.999Z"))).toBe("2026-03-08 01:59:59.999-05:00");
    expect(toronto.format(at("2026-03-08T07:00:00.000Z"))).toBe("2026-03-08 03:00:00.000-04:00");
    expect(toronto.format(at("2026-03-08T07:30:00.000Z"))).toBe("2026-03-08 03:30:00.000-04:00");
  });

  it("keeps the repeated hour of the fall-back change in America/Toronto distinct by its offset", () => {
    const toronto = toSecond("America/Toronto");
    const firstPass = toronto.format(at("2026-11-01T05:30:00Z"));
    const secondPass = toronto.format(at("2026-11-01T06:30:00Z"));
    expect(firstPass).toBe("2026-11-01 01:30:00-04:00");
    expect(secondPass).toBe("2026-11-01 01:30:00-05:00");
    expect(toronto.format(at("2026-11-01T05:59:59Z"))).toBe("2026-11-01 01:59:59-04:00");
    expect(toronto.format(at("2026-11-01T06:00:00Z"))).toBe("2026-11-01 01:00:00-05:00");
    // Both read back as the instants they were written from.
    const parse = createTimestampParser();
    expect(parse(firstPass)).toBe(Date.parse("2026-11-01T05:30:00Z"));
    expect(parse(secondPass)).toBe(Date.parse("2026-11-01T06:30:00Z"));
  });

  it("writes a half-hour zone (Asia/Kolkata), rolling the date over at local midnight", () => {
    const kolkata = withMs("Asia/Kolkata");
    expect(kolkata.format(at("2026-10-01T03:30:00Z"))).toBe("2026-10-01 09:00:00.000+05:30");
    expect(kolkata.format(at("2026-09-30T18:29:59.999Z"))).toBe("2026-09-30 23:59:59.999+05:30");
    expect(kolkata.format(at("2026-09-30T18:30:00Z"))).toBe("2026-10-01 00:00:00.000+05:30");
  });

  it("writes UTC with an explicit +00:00, so every value of a column has the same shape", () => {
    const utc = withMs("UTC");
    expect(utc.timeZone).toBe("UTC");
    expect(utc.format(at("2026-10-01T09:00:00Z"))).toBe("2026-10-01 09:00:00.000+00:00");
    expect(utc.format(at("1969-12-31T23:59:59.999Z"))).toBe("1969-12-31 23:59:59.999+00:00");
    expect(toSecond("UTC").format(at("2026-10-01T09:00:00.750Z"))).toBe("2026-10-01 09:00:00+00:00");
  });

  it("cuts to the second without milliseconds, never rounding into the next second or day", () => {
    expect(toSecond("America/Toronto").format(at("2026-10-02T03:59:59.999Z"))).toBe("2026-10-01 23:59:59-04:00");
    expect(withMs("America/Toronto").format(at("2026-10-01T13:00:00.007Z"))).toBe("2026-10-01 09:00:00.007-04:00");
  });

  it("names the zone canonically and refuses one that does not exist", () => {
    expect(withMs("america/toronto").timeZone).toBe("America/Toronto");
    expect(() => withMs("Mars/Olympus_Mons")).toThrow(TimeZoneError);
    expect(() => withMs("UTC").format(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("writes seconds in a historical offset that has them, rather than an offset that is off", () => {
    expect(toSecond("Africa/Monrovia").format(at("1970-06-01T12:00:00Z"))).toBe("1970-06-01 11:15:30-00:44:30");
  });

  it("agrees with Intl and reads back exactly, whatever order instants come in (its caches are per hour and day)", () => {
    const zones = ["America/Toronto", "Asia/Kolkata", "UTC", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "Europe/London"];
    const formatters = new Map(zones.map((zone) => [zone, withMs(zone)]));
    const parse = createTimestampParser();
    const from = Date.parse("2000-01-01T00:00:00Z");
    const to = Date.parse("2040-01-01T00:00:00Z");
    // Instants a few hours either side of 2026's changes (Toronto, London, Lord Howe's half hour,
    // Chatham), where a stale cached offset would show.
    const changes = ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", "2026-04-04T15:00:00Z", "2026-04-04T14:00:00Z"].map(Date.parse);
    const nearChange = fc.tuple(fc.constantFrom(...changes), fc.integer({ min: -6 * 3_600_000, max: 6 * 3_600_000 })).map(([change, delta]) => change + delta);
    const instant = fc.oneof(fc.integer({ min: from, max: to }), nearChange);
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.array(instant, { minLength: 1, maxLength: 20 }), (zone, instants) => {
        const formatter = formatters.get(zone)!;
        for (const ms of instants) {
          const text = formatter.format(new Date(ms));
          expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
          expect(text.slice(0, 19)).toBe(intlWallTime(new Date(ms), zone));
          expect(parse(text)).toBe(ms);
          expect(Date.parse(text.replace(" ", "T"))).toBe(ms);
        }
      }),
      { numRuns: 300 },
    );
  });
});
