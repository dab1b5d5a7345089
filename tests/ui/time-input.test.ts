import { describe, expect, it } from "vitest";
import { onMachineInTimeZone } from "./machine-time-zone";
import {
  addDays,
  calendarDateFromInput,
  dateTimeInputValue,
  dayOf,
  firstOfMonth,
  instantFromDateInput,
  instantFromDateTimeInput,
  isStartOfDay,
  startOfDay,
} from "@/components/time/wall-time";
import { getZoneConverter } from "@/server/rating/time-zone";

const TORONTO = "America/Toronto";
const KOLKATA = "Asia/Kolkata";
const ST_JOHNS = "America/St_Johns";
// Half-hour offsets and a half-hour DST shift: 02:00 → 02:30 in October, 02:00 → 01:30 in April.
const LORD_HOWE = "Australia/Lord_Howe";
const SANTIAGO = "America/Santiago";

const iso = (value: Date | null) => value?.toISOString() ?? null;

describe("zone-aware date and time inputs", () => {
  // Every assertion holds whatever zone the browser (here, the test machine) is in.
  onMachineInTimeZone("Europe/Berlin");

  it("reads a datetime-local value on the tenant's clock, not the browser's", () => {
    expect(iso(instantFromDateTimeInput("2026-07-01T09:30", TORONTO))).toBe("2026-07-01T13:30:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-12-01T09:30", TORONTO))).toBe("2026-12-01T14:30:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-12-01T09:30:15.250", TORONTO))).toBe("2026-12-01T14:30:15.250Z");
    expect(iso(instantFromDateTimeInput("2026-10-01T00:00", "UTC"))).toBe("2026-10-01T00:00:00.000Z");
  });

  it("reads half-hour zones", () => {
    expect(iso(instantFromDateTimeInput("2026-10-01T00:00", KOLKATA))).toBe("2026-09-30T18:30:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-12-01T09:00", ST_JOHNS))).toBe("2026-12-01T12:30:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-07-01T09:00", ST_JOHNS))).toBe("2026-07-01T11:30:00.000Z");
    expect(dateTimeInputValue(new Date("2026-09-30T18:30:00Z"), KOLKATA)).toBe("2026-10-01T00:00");
  });

  it("moves a time in the spring-forward gap forward by the size of the gap", () => {
    // 8 March 2026 in Toronto: 02:00 EST is 03:00 EDT, no clock shows 02:xx.
    expect(iso(instantFromDateTimeInput("2026-03-08T01:59", TORONTO))).toBe("2026-03-08T06:59:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-03-08T02:00", TORONTO))).toBe("2026-03-08T07:00:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-03-08T02:30", TORONTO))).toBe("2026-03-08T07:30:00.000Z");
    expect(dateTimeInputValue(new Date("2026-03-08T07:30:00Z"), TORONTO)).toBe("2026-03-08T03:30");
    expect(iso(instantFromDateTimeInput("2026-03-08T03:00", TORONTO))).toBe("2026-03-08T07:00:00.000Z");
    // A 30-minute gap: 02:15 reads as 02:45 (+11:00).
    expect(iso(instantFromDateTimeInput("2026-10-04T02:15", LORD_HOWE))).toBe("2026-10-03T15:45:00.000Z");
    expect(dateTimeInputValue(new Date("2026-10-03T15:45:00Z"), LORD_HOWE)).toBe("2026-10-04T02:45");
  });

  it("reads a time in the repeated fall-back hour as its first occurrence", () => {
    // 1 November 2026 in Toronto: 01:00-02:00 comes twice, EDT (-04:00) then EST (-05:00).
    expect(iso(instantFromDateTimeInput("2026-11-01T00:59", TORONTO))).toBe("2026-11-01T04:59:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-11-01T01:00", TORONTO))).toBe("2026-11-01T05:00:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-11-01T01:30", TORONTO))).toBe("2026-11-01T05:30:00.000Z");
    expect(iso(instantFromDateTimeInput("2026-11-01T02:00", TORONTO))).toBe("2026-11-01T07:00:00.000Z");
    // Both occurrences show as the same input value; it reads back as the first.
    expect(dateTimeInputValue(new Date("2026-11-01T05:30:00Z"), TORONTO)).toBe("2026-11-01T01:30");
    expect(dateTimeInputValue(new Date("2026-11-01T06:30:00Z"), TORONTO)).toBe("2026-11-01T01:30");
    // Lord Howe repeats 01:30-02:00, at +11:00 then +10:30.
    expect(iso(instantFromDateTimeInput("2026-04-05T01:45", LORD_HOWE))).toBe("2026-04-04T14:45:00.000Z");
  });

  it("gives every instant back from its input value, but for the second pass of a repeated hour", () => {
    const quarterHour = 15 * 60_000;
    const spans: [string, string, string, number][] = [
      // zone, from, to, how many quarter hours are a repeated hour's second pass
      [TORONTO, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", 0],
      [TORONTO, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z", 4],
      [LORD_HOWE, "2026-04-03T00:00:00Z", "2026-04-06T00:00:00Z", 2],
      [LORD_HOWE, "2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z", 0],
      [KOLKATA, "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", 0],
      [ST_JOHNS, "2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z", 4],
    ];
    for (const [timeZone, from, to, secondPasses] of spans) {
      let repeated = 0;
      for (let at = Date.parse(from); at < Date.parse(to); at += quarterHour) {
        const input = dateTimeInputValue(new Date(at), timeZone);
        const back = instantFromDateTimeInput(input, timeZone);
        if (back?.getTime() === at) continue;
        // Only the second pass may come back, and then as the first pass of the same wall time.
        expect(back!.getTime(), `${timeZone} ${new Date(at).toISOString()}`).toBeLessThan(at);
        expect(dateTimeInputValue(back!, timeZone)).toBe(input);
        repeated += 1;
      }
      expect(repeated, `${timeZone} from ${from}`).toBe(secondPasses);
    }
  });

  it("resolves gaps and repeated hours as the server reads CDR and deck timestamps", () => {
    const quarterHour = 15 * 60_000;
    const days: [string, string][] = [
      [TORONTO, "2026-03-08"],
      [TORONTO, "2026-11-01"],
      [LORD_HOWE, "2026-04-05"],
      [LORD_HOWE, "2026-10-04"],
      [SANTIAGO, "2026-09-06"],
      [ST_JOHNS, "2026-11-01"],
    ];
    for (const [timeZone, day] of days) {
      const server = getZoneConverter(timeZone);
      const midnight = Date.parse(`${day}T00:00:00Z`);
      for (let wall = midnight; wall < midnight + 86_400_000; wall += quarterHour) {
        const input = new Date(wall).toISOString().slice(0, 16);
        expect(instantFromDateTimeInput(input, timeZone)?.getTime(), `${timeZone} ${input}`).toBe(server.wallClockToUtc(wall));
      }
    }
  });

  it("refuses what is not a date and time", () => {
    for (const value of ["", "2026-10-01", "2026-02-30T10:00", "2026-10-01T24:00", "2026-10-01T09:60", "2026-10-01T09:30Z", "2026-10-01 09:30", "now"]) {
      expect(instantFromDateTimeInput(value, TORONTO), value).toBeNull();
    }
    expect(instantFromDateTimeInput(null, TORONTO)).toBeNull();
    expect(dateTimeInputValue(new Date(Number.NaN), TORONTO)).toBe("");
  });

  it("starts a day at the tenant's midnight, or where a DST change skips midnight, at the end of the gap", () => {
    expect(iso(instantFromDateInput("2026-10-01", TORONTO))).toBe("2026-10-01T04:00:00.000Z");
    expect(iso(instantFromDateInput("2026-10-01", KOLKATA))).toBe("2026-09-30T18:30:00.000Z");
    // Chile springs forward at midnight: 6 September 2026 begins at 01:00 (-03:00).
    expect(iso(instantFromDateInput("2026-09-06", SANTIAGO))).toBe("2026-09-06T04:00:00.000Z");
    expect(dayOf(new Date("2026-09-06T04:00:00Z"), SANTIAGO)).toBe("2026-09-06");
    expect(instantFromDateInput("2026-13-01", TORONTO)).toBeNull();
    expect(instantFromDateInput("2026-10-01T00:00", TORONTO)).toBeNull();
    expect(startOfDay("2026-03-08", TORONTO).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(Number.isNaN(startOfDay("soon", TORONTO).getTime())).toBe(true);
  });

  it("tells the tenant's day of an instant, and whether it starts one", () => {
    // 03:59 UTC on 1 October is still 30 September in Toronto, already 1 October in Kolkata.
    const instant = new Date("2026-10-01T03:59:59Z");
    expect(dayOf(instant, TORONTO)).toBe("2026-09-30");
    expect(dayOf(instant, KOLKATA)).toBe("2026-10-01");
    expect(dayOf(new Date(Number.NaN), TORONTO)).toBe("");
    expect(isStartOfDay(new Date("2026-10-01T04:00:00Z"), TORONTO)).toBe(true);
    expect(isStartOfDay(new Date("2026-10-01T04:00:00.001Z"), TORONTO)).toBe(false);
    expect(isStartOfDay(new Date("2026-10-01T00:00:00Z"), TORONTO)).toBe(false);
    expect(isStartOfDay(new Date("2026-09-06T04:00:00Z"), SANTIAGO)).toBe(true);
  });

  it("counts calendar days and months", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(firstOfMonth("2026-01-15")).toBe("2026-01-01");
    expect(firstOfMonth("2026-01-15", 1)).toBe("2025-12-01");
  });

  it("keeps a calendar date (a DATE column) the typed day, in no zone", () => {
    expect(iso(calendarDateFromInput("2026-10-01"))).toBe("2026-10-01T00:00:00.000Z");
    expect(calendarDateFromInput("2026-02-29")).toBeNull();
    expect(calendarDateFromInput("")).toBeNull();
  });
});
