import { describe, expect, it } from "vitest";
import { onMachineInTimeZone } from "./machine-time-zone";
import { dateInputEnd, dateInputStart, dateInputValue } from "@/components/wallet/labels";

const TOKYO = "Asia/Tokyo";

describe("ledger date filters", () => {
  // The browser is somewhere else than the tenant: nothing may depend on it.
  onMachineInTimeZone("America/Los_Angeles");

  it("read a statement's exact period as itself, whatever the tenant's or the browser's time zone", () => {
    // October in Asia/Tokyo, as a statement links to it.
    const from = "2026-09-30T15:00:00.000Z";
    const to = "2026-10-31T15:00:00.000Z";
    expect(dateInputStart(from, "UTC")?.toISOString()).toBe(from);
    expect(dateInputEnd(to, "UTC")?.toISOString()).toBe(to);
    expect(dateInputStart("not a time", TOKYO)).toBeNull();
  });

  it("read a typed date as the tenant's whole day, not the browser's, and show either in the date inputs", () => {
    expect(dateInputStart("2026-10-01", TOKYO)?.toISOString()).toBe("2026-09-30T15:00:00.000Z");
    expect(dateInputEnd("2026-10-31", TOKYO)?.toISOString()).toBe("2026-10-31T15:00:00.000Z");
    expect(dateInputEnd("2026-02-30", TOKYO)).toBeNull();
    expect(dateInputValue("2026-10-01", "from", TOKYO)).toBe("2026-10-01");
    expect(dateInputValue("2026-09-30T15:00:00.000Z", "from", TOKYO)).toBe("2026-10-01");
    // An exclusive end shows its last day.
    expect(dateInputValue("2026-10-31T15:00:00.000Z", "to", TOKYO)).toBe("2026-10-31");
    expect(dateInputValue(null, "to", TOKYO)).toBe("");
  });
});
