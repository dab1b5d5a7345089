import { describe, expect, it } from "vitest";
import { rangeFor } from "@/components/cdr/calls/range-presets";
import { addDays, dayOf, startOfDay } from "@/components/time/wall-time";
import { minutesFromSeconds } from "@/server/cdr/search";

describe("calls date ranges in the tenant's time zone", () => {
  it("starts a day at local midnight, across DST changes", () => {
    expect(startOfDay("2026-07-01", "America/Toronto").toISOString()).toBe("2026-07-01T04:00:00.000Z");
    expect(startOfDay("2026-12-01", "America/Toronto").toISOString()).toBe("2026-12-01T05:00:00.000Z");
    // 8 March 2026: clocks go forward at 02:00; midnight is still EST.
    expect(startOfDay("2026-03-08", "America/Toronto").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfDay("2026-03-09", "America/Toronto").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(startOfDay("2026-10-01", "Asia/Kolkata").toISOString()).toBe("2026-09-30T18:30:00.000Z");
    expect(dayOf(new Date("2026-10-01T03:59:59Z"), "America/Toronto")).toBe("2026-09-30");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
  });

  it("makes half-open ranges: custom days are inclusive, last month ends where this month starts", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(rangeFor("custom", now, "UTC", "2026-10-01", "2026-10-31")).toEqual({ from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") });
    expect(rangeFor("lastMonth", now, "America/Toronto")).toEqual({ from: new Date("2026-10-01T04:00:00Z"), to: new Date("2026-11-01T04:00:00Z") });
    expect(rangeFor("7d", now, "UTC")).toEqual({ from: new Date("2026-11-15T12:00:00Z"), to: now });
    expect(rangeFor("custom", now, "UTC", "2026-10-01")).toBeNull();
    // Days come from the URL: one that is not a date searches nothing rather than everything.
    expect(rangeFor("custom", now, "UTC", "2026-10-01", "2026-02-30")).toBeNull();
    expect(rangeFor("custom", now, "UTC", "yesterday", "2026-10-31")).toBeNull();
  });
});

describe("minutesFromSeconds", () => {
  it("divides by 60 exactly in integers, to the nearest hundredth", () => {
    expect(minutesFromSeconds(0n)).toBe("0.00");
    expect(minutesFromSeconds(60n)).toBe("1.00");
    expect(minutesFromSeconds(90n)).toBe("1.50");
    expect(minutesFromSeconds(1n)).toBe("0.02");
    expect(minutesFromSeconds(123_456_789_012n)).toBe("2057613150.20");
  });
});
