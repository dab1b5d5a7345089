import { describe, expect, it } from "vitest";
import { customRangeError, rangeFor } from "@/components/cdr/calls/range-presets";

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

  it("gives a reason whenever rangeFor gives no range, so the page never waits for a search it will not run", () => {
    const days = ["", "2026-10-01", "2026-10-31", "2026-02-30", "yesterday"];
    for (const fromDay of days) {
      for (const toDay of days) {
        if (rangeFor("custom", now, "UTC", fromDay || undefined, toDay || undefined) === null) expect(customRangeError(fromDay, toDay, "UTC")).not.toBeNull();
      }
    }
  });
});
