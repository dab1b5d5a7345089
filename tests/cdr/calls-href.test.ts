import { describe, expect, it } from "vitest";
import { callsHref, storedPrefixFilter } from "@/components/cdr/calls/calls-href";
import { customRangeError } from "@/components/cdr/calls/range-presets";
import { createNumberFilters } from "@/server/cdr/number-filter";
import { NO_CUSTOMER } from "@/server/cdr/search-rules";

function paramsOf(href: string): Record<string, string> {
  const url = new URL(href, "http://localhost");
  expect(url.pathname).toBe("/admin/calls");
  return Object.fromEntries(url.searchParams);
}

describe("callsHref (the unbillable queue's View calls)", () => {
  it("covers the days the group was first and last seen in the tenant's zone, with the group's filters", () => {
    // 03:30 UTC is the evening before in Toronto, the same morning in Kathmandu.
    const seen = { first: new Date("2026-10-02T03:30:00Z"), last: new Date("2026-10-09T03:30:00Z") };
    expect(paramsOf(callsHref(seen, "America/Toronto", { status: "UNBILLABLE", unbillableReason: "unknown account", accountCode: "pbx-7" }))).toEqual({
      range: "custom",
      fromDay: "2026-10-01",
      toDay: "2026-10-08",
      status: "UNBILLABLE",
      unbillableReason: "unknown account",
      accountCode: "pbx-7",
    });
    expect(paramsOf(callsHref(seen, "Asia/Kathmandu", { customerId: NO_CUSTOMER }))).toMatchObject({ fromDay: "2026-10-02", toDay: "2026-10-09", customerId: "none" });
  });

  it("keeps to the latest days the search covers when the group spans more", () => {
    for (const zone of ["UTC", "America/Toronto", "Australia/Lord_Howe"]) {
      const params = paramsOf(callsHref({ first: new Date("2024-01-15T12:00:00Z"), last: new Date("2026-10-09T12:00:00Z") }, zone, {}));
      expect(params.toDay).toBe("2026-10-09");
      expect(customRangeError(params.fromDay!, params.toDay!, zone), zone).toBeNull();
      expect(params.fromDay! >= "2025-10-08", zone).toBe(true);
    }
  });
});

describe("storedPrefixFilter", () => {
  it("writes a stored prefix so that the callee filter reads it as that prefix, whatever the plan", () => {
    const nanp = createNumberFilters({ countryCode: "1", internationalPrefixes: ["011"], nationalNumberLength: 10, techPrefixes: [] });
    const uk = createNumberFilters({ countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, techPrefixes: [], trunkPrefix: "0" });
    for (const prefix of ["4420", "1303", "911", "0800"]) {
      const typed = storedPrefixFilter(prefix)!;
      expect(nanp.calleePrefix(typed)).toEqual({ ok: true, match: prefix });
      expect(uk.calleePrefix(typed)).toEqual({ ok: true, match: prefix });
    }
    // Digits alone would be national under NANP: the reason for the "+".
    expect(nanp.calleePrefix("4420")).toEqual({ ok: true, match: "14420" });
    expect(storedPrefixFilter("anon")).toBeNull();
  });
});
