import { describe, expect, it } from "vitest";
import { customRangeError, rangeFor } from "@/components/cdr/calls/range-presets";
import { addDays } from "@/components/time/wall-time";
import { MAX_RANGE_DAYS } from "@/server/cdr/search-rules";
import { ZCdrFilter } from "@/server/cdr/search";

describe("customRangeError", () => {
  const now = new Date("2026-11-22T12:00:00Z");

  it("asks for both dates under the field that lacks one, a day that is not a date counting as missing", () => {
    expect(customRangeError("", "2026-10-31", "UTC")).toEqual({ field: "from", message: "Choose both dates" });
    expect(customRangeError("2026-10-01", "", "UTC")).toEqual({ field: "to", message: "Choose both dates" });
    expect(customRangeError("", "", "UTC")).toEqual({ field: "from", message: "Choose both dates" });
    expect(customRangeError("2026-10-01", "2026-02-30", "UTC")).toEqual({ field: "to", message: "Choose both dates" });
  });

  it("refuses an end before the start, and accepts a one-day range", () => {
    expect(customRangeError("2026-10-31", "2026-10-01", "UTC")).toEqual({ field: "to", message: "The end must be on or after the start" });
    expect(customRangeError("2026-10-01", "2026-10-01", "America/Toronto")).toBeNull();
  });

  it("refuses a range longer than the server searches, by the server's own rule, across clock changes too", () => {
    expect(MAX_RANGE_DAYS).toBe(366);
    // 366 whole days, 2025-10-01 to 2026-10-01 inclusive: the most the server takes.
    expect(customRangeError("2025-10-01", "2026-10-01", "UTC")).toBeNull();
    expect(customRangeError("2025-10-01", "2026-10-02", "UTC")).toEqual({ field: "from", message: "The range may span at most 366 days" });
    // Each range the page would send passes the server's check exactly when this passes it.
    for (const zone of ["UTC", "America/Toronto", "Asia/Kathmandu", "Australia/Lord_Howe"]) {
      for (let offset = 0; offset < 366; offset += 5) {
        const fromDay = addDays("2025-06-01", offset);
        for (const days of [364, 365, 366, 367]) {
          const toDay = addDays(fromDay, days);
          const range = rangeFor("custom", now, zone, fromDay, toDay)!;
          const serverRefuses = ZCdrFilter.safeParse(range).error?.issues.some((issue) => issue.path.join(".") === "from") ?? false;
          expect(customRangeError(fromDay, toDay, zone) !== null, `${zone} ${fromDay}..${toDay}`).toBe(serverRefuses);
        }
      }
    }
  });

  it("gives a reason whenever rangeFor gives no range, so the page never waits for a search it will not run", () => {
    const days = ["", "2026-10-01", "2026-10-31", "2026-02-30", "yesterday"];
    for (const fromDay of days) {
      for (const toDay of days) {
        if (rangeFor("custom", now, "UTC", fromDay || undefined, toDay || undefined) === null) expect(customRangeError(fromDay, toDay, "UTC")).not.toBeNull();
      }
    }
  });
});
