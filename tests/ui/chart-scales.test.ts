import { describe, expect, it } from "vitest";
import { fitValueAxis, fitValueDomain, timeAxis } from "@/components/charts/scales";
import { formatInstant, wallClock } from "@/components/time/format-instant";

describe("fitValueDomain", () => {
  it("draws a balance near zero from zero, with room above", () => {
    const [low, high] = fitValueDomain([0, 0, 42.0948, 32.0948]) ?? [NaN, NaN];
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(42.0948);
    expect(high).toBeLessThan(46);
  });

  it("keeps the data's own range when zero is far away", () => {
    const [low, high] = fitValueDomain([1000, 1010]) ?? [NaN, NaN];
    expect(low).toBeGreaterThan(990);
    expect(low).toBeLessThan(1000);
    expect(high).toBeGreaterThan(1010);
    expect(high).toBeLessThan(1020);
  });

  it("spans zero for a balance that crosses it, padded on both sides", () => {
    const [low, high] = fitValueDomain([-0.4052, 42.0948]) ?? [NaN, NaN];
    expect(low).toBeLessThan(-0.4052);
    expect(high).toBeGreaterThan(42.0948);
  });

  it("draws a negative balance up to zero", () => {
    expect(fitValueDomain([-0.0372, -0.3372, -0.4052])?.[1]).toBe(0);
  });

  it("draws a single value against zero, and all zeros in a unit band", () => {
    const [low, high] = fitValueDomain([25.5]) ?? [NaN, NaN];
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(25.5);
    expect(fitValueDomain([0, 0])).toEqual([-1, 1]);
    expect(fitValueDomain([])).toBeNull();
  });
});

describe("timeAxis", () => {
  const zone = "America/Toronto";
  const offsetAt = (ms: number) => wallClock(new Date(ms), zone).offsetMs;
  const minuteLabel = (ms: number) => formatInstant(new Date(ms), zone, "datetime");
  const dayLabel = (ms: number) => formatInstant(new Date(ms), zone, "date");
  const at = (iso: string) => new Date(iso).getTime();

  it("runs from the first to the last instant, with round, distinct ticks", () => {
    const times = [at("2026-12-03T16:04:10Z"), at("2026-12-03T16:04:50Z"), at("2026-12-03T16:35:30Z")];
    const axis = timeAxis(times, { offsetAt, label: minuteLabel, minStepMs: 60_000, maxTicks: 4 });
    expect(axis?.domain).toEqual([times[0], times[2]]);
    const labels = axis?.ticks.map(minuteLabel) ?? [];
    expect(labels).toEqual(["03 Dec 2026, 11:15", "03 Dec 2026, 11:30"]);
  });

  it("keeps labels off the ends when asked, so they are not cut", () => {
    const times = [at("2026-12-03T16:04:10Z"), at("2026-12-03T16:35:30Z")];
    const axis = timeAxis(times, { offsetAt, label: minuteLabel, minStepMs: 60_000, maxTicks: 4, edgeRoom: 0.2 });
    expect(axis?.ticks.map(minuteLabel)).toEqual(["03 Dec 2026, 11:15"]);
  });

  it("never repeats a label: entries within a minute get one tick, mid-way", () => {
    const times = [at("2026-12-03T16:04:10Z"), at("2026-12-03T16:04:20Z"), at("2026-12-03T16:04:50Z")];
    const axis = timeAxis(times, { offsetAt, label: minuteLabel, minStepMs: 60_000, maxTicks: 4 });
    expect(axis?.ticks).toEqual([at("2026-12-03T16:04:30Z")]);
  });

  it("puts day ticks on the zone's midnight", () => {
    const times = [at("2026-11-01T15:00:00Z"), at("2026-11-20T15:00:00Z")];
    const axis = timeAxis(times, { offsetAt, label: dayLabel, minStepMs: 86_400_000, maxTicks: 5 });
    expect(axis?.ticks.length).toBeGreaterThanOrEqual(2);
    expect(axis?.ticks.length).toBeLessThanOrEqual(5);
    for (const tick of axis?.ticks ?? []) {
      const clock = wallClock(new Date(tick), zone);
      expect([clock.hour, clock.minute]).toEqual([0, 0]);
    }
  });

  it("centres a single instant, its own tick", () => {
    const time = at("2026-12-03T16:05:00Z");
    const axis = timeAxis([time], { offsetAt, label: minuteLabel, minStepMs: 60_000, maxTicks: 4 });
    expect(axis?.ticks).toEqual([time]);
    expect(axis && (axis.domain[0] + axis.domain[1]) / 2).toBe(time);
    expect(timeAxis([], { offsetAt, label: minuteLabel, minStepMs: 60_000, maxTicks: 4 })).toBeNull();
  });
});

describe("fitValueAxis", () => {
  it("rounds the range out to 4-6 round ticks, wasting little height", () => {
    expect(fitValueAxis([0, 42.0948, 32.0948])).toEqual({ domain: [0, 50], ticks: [0, 10, 20, 30, 40, 50] });
    expect(fitValueAxis([10, 60, 55, 20, 80])?.ticks).toEqual([0, 25, 50, 75, 100]);
    expect(fitValueAxis([50, 48.5, 47.25, 45])).toEqual({ domain: [44, 52], ticks: [44, 46, 48, 50, 52] });
    expect(fitValueAxis([])).toBeNull();
  });
});
