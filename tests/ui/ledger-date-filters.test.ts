import { describe, expect, it } from "vitest";
import { dateInputEnd, dateInputStart, dateInputValue } from "@/components/wallet/labels";

describe("ledger date filters", () => {
  it("read a statement's exact period as itself, whatever the browser's time zone", () => {
    // October in Asia/Tokyo, as a statement links to it.
    const from = "2026-09-30T15:00:00.000Z";
    const to = "2026-10-31T15:00:00.000Z";
    expect(dateInputStart(from)?.toISOString()).toBe(from);
    expect(dateInputEnd(to)?.toISOString()).toBe(to);
    expect(dateInputStart("not a time")).toBeNull();
  });

  it("read a typed date as the browser's whole day, and show either in the date inputs", () => {
    const start = dateInputStart("2026-10-01")!;
    const end = dateInputEnd("2026-10-31")!;
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours()]).toEqual([2026, 9, 1, 0]);
    expect([end.getMonth(), end.getDate()]).toEqual([10, 1]);
    expect(dateInputValue("2026-10-01", "from")).toBe("2026-10-01");
    const localMidnight = new Date(2026, 9, 1).toISOString();
    const nextLocalMidnight = new Date(2026, 10, 1).toISOString();
    expect(dateInputValue(localMidnight, "from")).toBe("2026-10-01");
    // An exclusive end shows its last day.
    expect(dateInputValue(nextLocalMidnight, "to")).toBe("2026-10-31");
    expect(dateInputValue(null, "to")).toBe("");
  });
});
