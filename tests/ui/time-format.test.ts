import { afterEach, describe, expect, it } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { DateTime } from "@/components/admin/date-time";
import {
  formatCalendarDate,
  formatInstant,
  formatInstantFull,
  formatInstantParts,
  formatUtcOffset,
  usableTimeZone,
} from "@/components/time/format-instant";
import { TimeZoneNote, TimeZoneProvider, useInstantFormat } from "@/components/time/time-zone-provider";

const NEW_YORK = "America/New_York";
const KOLKATA = "Asia/Kolkata";

describe("formatInstant", () => {
  const instant = new Date("2026-12-02T14:30:05Z");

  it("writes the tenant's wall time day first, 24-hour, in three styles", () => {
    expect(formatInstant(instant, NEW_YORK, "date")).toBe("02 Dec 2026");
    expect(formatInstant(instant, NEW_YORK)).toBe("02 Dec 2026, 09:30");
    expect(formatInstant(instant, NEW_YORK, "precise")).toBe("02 Dec 2026, 09:30:05");
    expect(formatInstant(instant, "UTC", "precise")).toBe("02 Dec 2026, 14:30:05");
  });

  it("gives the date and time apart for stacked layouts", () => {
    expect(formatInstantParts(instant, NEW_YORK, "precise")).toEqual({ date: "02 Dec 2026", time: "09:30:05" });
    expect(formatInstantParts(instant, NEW_YORK)).toEqual({ date: "02 Dec 2026", time: "09:30" });
    expect(formatInstantParts(instant, NEW_YORK, "date")).toEqual({ date: "02 Dec 2026", time: "" });
  });

  it("writes midnight as 00, never 24, and cuts seconds rather than rounding into the next minute", () => {
    expect(formatInstant(new Date("2026-09-01T00:00:00Z"), "UTC")).toBe("01 Sep 2026, 00:00");
    expect(formatInstant(new Date("2026-09-01T00:00:59.999Z"), "UTC", "precise")).toBe("01 Sep 2026, 00:00:59");
  });

  it("moves the date with the zone", () => {
    const lateEvening = new Date("2026-12-31T23:30:00Z");
    expect(formatInstant(lateEvening, "UTC", "date")).toBe("31 Dec 2026");
    expect(formatInstant(lateEvening, KOLKATA, "date")).toBe("01 Jan 2027");
    expect(formatInstant(new Date("2027-01-01T02:00:00Z"), NEW_YORK, "date")).toBe("31 Dec 2026");
  });

  it("follows the spring-forward change: 01:59:59 EST is followed by 03:00:00 EDT", () => {
    const lastStandardSecond = new Date("2026-03-08T06:59:59Z");
    const firstSummerSecond = new Date("2026-03-08T07:00:00Z");
    expect(formatInstant(lastStandardSecond, NEW_YORK, "precise")).toBe("08 Mar 2026, 01:59:59");
    expect(formatInstant(firstSummerSecond, NEW_YORK, "precise")).toBe("08 Mar 2026, 03:00:00");
    expect(formatUtcOffset(lastStandardSecond, NEW_YORK)).toBe("UTC-05:00");
    expect(formatUtcOffset(firstSummerSecond, NEW_YORK)).toBe("UTC-04:00");
  });

  it("tells the repeated fall-back hour apart in the tooltip", () => {
    const firstPass = new Date("2026-11-01T05:30:00Z");
    const secondPass = new Date("2026-11-01T06:30:00Z");
    expect(formatInstant(firstPass, NEW_YORK)).toBe("01 Nov 2026, 01:30");
    expect(formatInstant(secondPass, NEW_YORK)).toBe("01 Nov 2026, 01:30");
    expect(formatInstantFull(firstPass, NEW_YORK)).toBe("Sun 01 Nov 2026, 01:30:00 UTC-04:00 (America/New_York)");
    expect(formatInstantFull(secondPass, NEW_YORK)).toBe("Sun 01 Nov 2026, 01:30:00 UTC-05:00 (America/New_York)");
  });

  it("handles half- and quarter-hour zones", () => {
    const instant = new Date("2026-12-02T04:00:00Z");
    expect(formatInstant(instant, KOLKATA)).toBe("02 Dec 2026, 09:30");
    expect(formatUtcOffset(instant, KOLKATA)).toBe("UTC+05:30");
    expect(formatInstantFull(instant, KOLKATA)).toBe("Wed 02 Dec 2026, 09:30:00 UTC+05:30 (Asia/Kolkata)");
    expect(formatInstant(instant, "Asia/Kathmandu")).toBe("02 Dec 2026, 09:45");
    expect(formatUtcOffset(instant, "Asia/Kathmandu")).toBe("UTC+05:45");
    // Newfoundland: a negative half-hour offset, with DST.
    expect(formatUtcOffset(new Date("2026-01-15T12:00:00Z"), "America/St_Johns")).toBe("UTC-03:30");
    expect(formatUtcOffset(new Date("2026-07-15T12:00:00Z"), "America/St_Johns")).toBe("UTC-02:30");
    expect(formatInstant(new Date("2026-07-15T12:00:00Z"), "America/St_Johns")).toBe("15 Jul 2026, 09:30");
  });

  it("names a zero offset UTC and leaves out the zone name for UTC itself", () => {
    const instant = new Date("2026-12-02T14:30:00Z");
    expect(formatInstantFull(instant, "UTC")).toBe("Wed 02 Dec 2026, 14:30:00 UTC");
    expect(formatInstantFull(instant, "Europe/London")).toBe("Wed 02 Dec 2026, 14:30:00 UTC (Europe/London)");
    expect(formatInstantFull(new Date("2026-07-02T14:30:00Z"), "Europe/London")).toBe("Thu 02 Jul 2026, 15:30:00 UTC+01:00 (Europe/London)");
  });

  it("does not depend on the machine's time zone", () => {
    const original = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Auckland";
      expect(formatInstant(new Date("2026-12-02T14:30:00Z"), NEW_YORK)).toBe("02 Dec 2026, 09:30");
      expect(formatInstant(new Date("2026-12-02T14:30:00Z"), "UTC")).toBe("02 Dec 2026, 14:30");
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });

  it("says so for an invalid date instead of throwing", () => {
    expect(formatInstant(new Date(Number.NaN), NEW_YORK)).toBe("Invalid date");
    expect(formatInstantFull(new Date(Number.NaN), NEW_YORK)).toBe("Invalid date");
  });

  it("reads calendar dates (UTC midnight) without shifting them a day", () => {
    expect(formatCalendarDate(new Date("2026-10-01T00:00:00Z"))).toBe("01 Oct 2026");
  });
});

describe("usableTimeZone", () => {
  it("keeps a known zone exactly as given and falls back to UTC for anything else", () => {
    expect(usableTimeZone(NEW_YORK)).toBe(NEW_YORK);
    // Not canonicalised: Node and browsers disagree on the canonical name of some zones.
    expect(usableTimeZone("Asia/Calcutta")).toBe("Asia/Calcutta");
    expect(usableTimeZone("Mars/Olympus_Mons")).toBe("UTC");
    expect(usableTimeZone("")).toBe("UTC");
    expect(usableTimeZone(null)).toBe("UTC");
  });
});

describe("DateTime", () => {
  const instant = new Date("2026-12-02T14:30:05Z");
  const inZone = (timeZone: string, props: Parameters<typeof DateTime>[0]) =>
    renderToStaticMarkup(h(TimeZoneProvider, { timeZone, children: h(DateTime, props) }));

  const machineTimeZone = process.env.TZ;
  afterEach(() => {
    if (machineTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = machineTimeZone;
  });

  it("shows the instant in the provider's zone, with the zone in the tooltip", () => {
    const html = inZone(NEW_YORK, { value: instant });
    expect(html).toBe(
      '<time dateTime="2026-12-02T14:30:05.000Z" title="Wed 02 Dec 2026, 09:30:05 UTC-05:00 (America/New_York)" class="numeric">02 Dec 2026, 09:30</time>',
    );
  });

  it("renders the same text whatever zone the server runs in (no hydration mismatch)", () => {
    process.env.TZ = "Asia/Tokyo";
    const onTokyoServer = inZone(KOLKATA, { value: instant, style: "precise" });
    process.env.TZ = "America/Los_Angeles";
    const inCaliforniaBrowser = inZone(KOLKATA, { value: instant, style: "precise" });
    expect(onTokyoServer).toBe(inCaliforniaBrowser);
    expect(onTokyoServer).toContain(">02 Dec 2026, 20:00:05<");
  });

  it("uses UTC outside a provider, and an explicit zone over the provider's", () => {
    expect(renderToStaticMarkup(h(DateTime, { value: instant }))).toContain(">02 Dec 2026, 14:30<");
    expect(inZone(NEW_YORK, { value: instant, timeZone: KOLKATA })).toContain(">02 Dec 2026, 20:00<");
  });

  it("adds the offset to the text on request, and shows the fallback for no or invalid value", () => {
    expect(inZone(KOLKATA, { value: instant, showZone: true })).toContain(">02 Dec 2026, 20:00 UTC+05:30<");
    expect(inZone(KOLKATA, { value: instant, style: "date", showZone: true })).toContain(">02 Dec 2026<");
    expect(inZone(NEW_YORK, { value: null })).toBe('<span class="text-slate-400">—</span>');
    expect(inZone(NEW_YORK, { value: new Date(Number.NaN), fallback: "never" })).toContain(">never<");
  });
});

describe("useInstantFormat and TimeZoneNote", () => {
  function Probe({ instant }: { instant: Date }) {
    const format = useInstantFormat();
    return h("span", { title: format.full(instant) }, `${format.format(instant, "precise")} ${format.offset(instant)} ${format.timeZone}`);
  }

  it("bind the provider's zone", () => {
    const html = renderToStaticMarkup(h(TimeZoneProvider, { timeZone: KOLKATA, children: h(Probe, { instant: new Date("2026-12-02T04:00:00Z") }) }));
    expect(html).toContain(">02 Dec 2026, 09:30:00 UTC+05:30 Asia/Kolkata<");
    expect(renderToStaticMarkup(h(TimeZoneProvider, { timeZone: NEW_YORK, children: h(TimeZoneNote, {}) }))).toContain("Times in America/New_York");
  });
});

describe("the signed-in shell", () => {
  it("names the tenant's zone under the tenant's name, on every page", async () => {
    const { AppShell } = await import("@/components/shell/app-shell");
    const shell = h(AppShell, {
      area: "admin",
      tenantName: "Acme Telecom",
      nav: [],
      user: { name: "Ada", email: "ada@acme.test", roleLabel: "Tenant admin" },
      children: h("p", null, "page"),
    });
    const html = renderToStaticMarkup(h(TimeZoneProvider, { timeZone: "America/Toronto", children: shell }));
    expect(html).toMatch(/Acme Telecom<\/span><span class="[^"]*truncate[^"]*"[^>]*>Times in America\/Toronto<\/span>/);
  });
});
