import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { createTimestampParser, formatUtcInstant, getZoneConverter, resolveTimeZone, TimeZoneError } from "@/server/rating/time-zone";

const iso = (ms: number): string => new Date(ms).toISOString();

describe("timestamps without a zone are read in the source's zone", () => {
  const toronto = createTimestampParser({ timeZone: "America/Toronto" });

  it.each([
    // EDT (UTC−4) in October: the asterisk fixture's call just before local midnight.
    ["2026-10-14 23:59:50", "2026-10-15T03:59:50.000Z"],
    ["2026-10-15 00:01:01", "2026-10-15T04:01:01.000Z"],
    // EST (UTC−5) in January.
    ["2026-01-15 12:00:00", "2026-01-15T17:00:00.000Z"],
    ["2026-01-15T12:00", "2026-01-15T17:00:00.000Z"],
    ["2026-01-15 12:00:00.250", "2026-01-15T17:00:00.250Z"],
    // Spring forward 2026-03-08 02:00 → 03:00: 01:59:59 is EST, 03:00 is EDT.
    ["2026-03-08 01:59:59", "2026-03-08T06:59:59.000Z"],
    ["2026-03-08 03:00:00", "2026-03-08T07:00:00.000Z"],
    // 02:30 does not exist: moved forward by the gap, to 03:30 EDT (Temporal "compatible").
    ["2026-03-08 02:30:00", "2026-03-08T07:30:00.000Z"],
    // Fall back 2026-11-01 02:00 → 01:00: 01:30 happens twice; the earlier (EDT) wins.
    ["2026-11-01 01:30:00", "2026-11-01T05:30:00.000Z"],
    ["2026-11-01 02:00:00", "2026-11-01T07:00:00.000Z"],
    ["2026-11-01 00:59:59", "2026-11-01T04:59:59.000Z"],
  ])("America/Toronto %s → %s", (text, expected) => {
    expect(iso(toronto(text))).toBe(expected);
  });

  it("an explicit offset or Z wins over the zone", () => {
    expect(iso(toronto("2026-10-08T13:00:00Z"))).toBe("2026-10-08T13:00:00.000Z");
    expect(iso(toronto("2026-10-08T13:00:00+05:30"))).toBe("2026-10-08T07:30:00.000Z");
    expect(iso(toronto("2026-10-08 13:00:00 -0400"))).toBe("2026-10-08T17:00:00.000Z");
    expect(iso(toronto("2026-10-08T13:00:00-04"))).toBe("2026-10-08T17:00:00.000Z");
  });

  it("zones with half-hour offsets and half-hour DST (Kathmandu, Lord Howe)", () => {
    expect(iso(createTimestampParser({ timeZone: "Asia/Kathmandu" })("2026-06-01 12:00:00"))).toBe("2026-06-01T06:15:00.000Z");
    const lordHowe = createTimestampParser({ timeZone: "Australia/Lord_Howe" });
    // Lord Howe moves from +10:30 to +11:00 at 02:00 local on 2026-10-04 (clocks jump to
    // 02:30); 02:15 does not exist and is moved forward by the 30-minute gap, to 02:45 +11:00.
    expect(iso(lordHowe("2026-10-04 01:59:00"))).toBe("2026-10-03T15:29:00.000Z");
    expect(iso(lordHowe("2026-10-04 02:30:00"))).toBe("2026-10-03T15:30:00.000Z");
    expect(iso(lordHowe("2026-10-04 02:15:00"))).toBe("2026-10-03T15:45:00.000Z");
  });

  it("dates alone are local midnight when allowed (rate decks), refused otherwise (CDRs)", () => {
    expect(iso(createTimestampParser({ timeZone: "America/Toronto", allowDateOnly: true })("2026-10-15"))).toBe("2026-10-15T04:00:00.000Z");
    expect(iso(createTimestampParser({ allowDateOnly: true })("2026-10-15"))).toBe("2026-10-15T00:00:00.000Z");
    expect(createTimestampParser()("2026-10-15")).toBeNaN();
  });

  it.each([
    "2026-13-45T99:00:00Z", // the carrier fixture's malformed timestamp
    "2026-02-29 00:00:00", // 2026 is not a leap year
    "2026-04-31 00:00:00",
    "2026-10-01 24:00:00",
    "2026-10-01 12:60:00",
    "2026-10-01 12:00:60",
    "2026-10-01",
    "2026/10/01 12:00:00",
    "01-10-2026 12:00:00",
    "0026-10-01 12:00:00",
    "2026-10-01 12:00:00 UTC",
    "2026-10-01T12:00:00+25:00",
    "2026-10-01T12:00:00.Z",
    "",
    "this line is not a CDR at all",
  ])("refuses %j", (text) => {
    expect(createTimestampParser()(text)).toBeNaN();
  });

  it("agrees with Intl for any instant: format in the zone, parse back", () => {
    const zones = ["America/Toronto", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Chatham"];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2037, 0, 1) / 1000 }),
        (zone, seconds) => {
          const instant = seconds * 1000;
          const wall = new Intl.DateTimeFormat("sv-SE", {
            timeZone: zone,
            year: "numeric",
            month: "2-digit",
            day: "2-digit",
            hour: "2-digit",
            minute: "2-digit",
            second: "2-digit",
            hourCycle: "h23",
          }).format(instant);
          const parsed = createTimestampParser({ timeZone: zone })(wall);
          // Exactly the instant, or in an autumn overlap the earlier of the two instants.
          expect(parsed).toBeLessThanOrEqual(instant);
          expect(instant - parsed).toBeLessThanOrEqual(3_600_000);
          if (parsed !== instant) expect(getZoneConverter(zone).offsetAt(parsed)).not.toBe(getZoneConverter(zone).offsetAt(instant));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("calendar arithmetic", () => {
  it("UTC wall times equal Date.UTC for any valid date from year 1000 to 9999", () => {
    const parse = createTimestampParser();
    const pad = (value: number, width: number): string => String(value).padStart(width, "0");
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
        (date) => {
          const text =
            `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
            `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds(), 3)}`;
          expect(parse(text)).toBe(date.getTime());
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("knows leap years", () => {
    const parse = createTimestampParser();
    expect(iso(parse("2024-02-29 12:00:00"))).toBe("2024-02-29T12:00:00.000Z");
    expect(iso(parse("2000-02-29 12:00:00"))).toBe("2000-02-29T12:00:00.000Z");
    expect(parse("1900-02-29 12:00:00")).toBeNaN();
    expect(parse("2100-02-29 12:00:00")).toBeNaN();
  });
});

describe("zones", () => {
  it("resolves names case-insensitively and refuses unknown ones", () => {
    expect(resolveTimeZone("america/toronto")).toBe("America/Toronto");
    expect(() => resolveTimeZone("Mars/Olympus")).toThrow(TimeZoneError);
    expect(() => resolveTimeZone("")).toThrow(/empty/);
    expect(() => createTimestampParser({ timeZone: "Nowhere/Town" })).toThrow(/unknown time zone "Nowhere\/Town"/);
  });

  it("UTC needs no conversion", () => {
    expect(iso(createTimestampParser()("2026-10-14 23:59:50"))).toBe("2026-10-14T23:59:50.000Z");
  });
});

describe("formatUtcInstant", () => {
  it("prints ISO 8601 with Z, dropping zero milliseconds", () => {
    expect(formatUtcInstant(new Date("2026-10-15T03:59:50Z"))).toBe("2026-10-15T03:59:50Z");
    expect(formatUtcInstant(new Date("2026-10-15T03:59:50.007Z"))).toBe("2026-10-15T03:59:50.007Z");
    expect(formatUtcInstant(new Date("1969-12-31T23:59:59.999Z"))).toBe("1969-12-31T23:59:59.999Z");
    expect(formatUtcInstant(new Date(8.64e15))).toBe("+275760-09-13T00:00:00Z");
    expect(() => formatUtcInstant(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("agrees with toISOString for any date", () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        const iso = date.toISOString();
        expect(formatUtcInstant(date)).toBe(iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso);
      }),
      { numRuns: 2_000 },
    );
  });
});
