import { describe, expect, it } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { formatEffectiveDate } from "@/components/time/effective-date";
import { EffectiveDateTime } from "@/components/time/effective-date-time";
import { TimeZoneProvider } from "@/components/time/time-zone-provider";

const TORONTO = "America/Toronto";
const KOLKATA = "Asia/Kolkata";
const LONDON = "Europe/London";

describe("formatEffectiveDate", () => {
  it("gives a deck date read as UTC (midnight UTC) its UTC date beside the tenant's time", () => {
    expect(formatEffectiveDate(new Date("2026-12-01T00:00:00Z"), TORONTO)).toEqual({ text: "30 Nov 2026, 19:00", utcDate: "01 Dec 2026" });
    expect(formatEffectiveDate(new Date("2026-07-01T00:00:00Z"), TORONTO)).toEqual({ text: "30 Jun 2026, 20:00", utcDate: "01 Jul 2026" });
    expect(formatEffectiveDate(new Date("2026-12-01T00:00:00Z"), KOLKATA)).toEqual({ text: "01 Dec 2026, 05:30", utcDate: "01 Dec 2026" });
    // The default start of undated ASTPP and Magnus rows.
    expect(formatEffectiveDate(new Date(0), TORONTO)).toEqual({ text: "31 Dec 1969, 19:00", utcDate: "01 Jan 1970" });
  });

  it("shows the date alone, with no note, for a midnight of the tenant's own zone", () => {
    expect(formatEffectiveDate(new Date("2026-12-01T05:00:00Z"), TORONTO)).toEqual({ text: "01 Dec 2026", utcDate: null });
    expect(formatEffectiveDate(new Date("2026-12-01T00:00:00Z"), "UTC")).toEqual({ text: "01 Dec 2026", utcDate: null });
    // London's clock is on UTC in winter (the same date, no note) and an hour ahead in summer.
    expect(formatEffectiveDate(new Date("2026-12-01T00:00:00Z"), LONDON)).toEqual({ text: "01 Dec 2026", utcDate: null });
    expect(formatEffectiveDate(new Date("2026-07-01T00:00:00Z"), LONDON)).toEqual({ text: "01 Jul 2026, 01:00", utcDate: "01 Jul 2026" });
  });

  it("adds nothing to any other instant", () => {
    expect(formatEffectiveDate(new Date("2026-12-01T14:30:00Z"), TORONTO)).toEqual({ text: "01 Dec 2026, 09:30", utcDate: null });
    expect(formatEffectiveDate(new Date("2026-12-01T00:00:00.001Z"), TORONTO)).toEqual({ text: "30 Nov 2026, 19:00", utcDate: null });
    expect(formatEffectiveDate(new Date(Number.NaN), TORONTO)).toEqual({ text: "Invalid date", utcDate: null });
  });
});

describe("EffectiveDateTime", () => {
  const render = (value: Date, timeZone: string, inline = false) =>
    renderToStaticMarkup(h(TimeZoneProvider, { timeZone, children: h(EffectiveDateTime, { value, inline }) }));

  it("shows the tenant's time with the deck's UTC date muted under it", () => {
    const html = render(new Date("2026-12-01T00:00:00Z"), TORONTO);
    expect(html).toContain('<time dateTime="2026-12-01T00:00:00.000Z" title="Mon 30 Nov 2026, 19:00:00 UTC-05:00 (America/Toronto)" class="numeric">30 Nov 2026, 19:00</time>');
    expect(html).toMatch(/<span class="[^"]*block text-xs[^"]*" title="Midnight UTC on 01 Dec 2026[^"]*America\/Toronto">\(01 Dec 2026 UTC\)<\/span>/);
    expect(render(new Date("2026-12-01T00:00:00Z"), TORONTO, true)).toMatch(/<span class="[^"]*ml-1[^"]*"[^>]*>\(01 Dec 2026 UTC\)<\/span>/);
  });

  it("shows a local midnight as its date alone", () => {
    const html = render(new Date("2026-12-01T05:00:00Z"), TORONTO);
    expect(html).toContain(">01 Dec 2026</time>");
    expect(html).not.toContain("UTC)");
  });
});
