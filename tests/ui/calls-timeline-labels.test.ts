import { describe, expect, it } from "vitest";
import { bucketLabel, keyedPoints } from "@/components/cdr/calls/calls-timeline";

const point = (at: string, utcOffset: string) => ({ at, start: new Date(0), utcOffset, answered: 1, unanswered: 0, billedSeconds: 60 });

describe("calls timeline labels", () => {
  it("tells the two 01:00 hours of the day the clock goes back apart by their UTC offset", () => {
    const points = keyedPoints({
      unit: "hour",
      points: [point("2026-11-01T00:00", "-04:00"), point("2026-11-01T01:00", "-04:00"), point("2026-11-01T01:00", "-05:00"), point("2026-11-01T02:00", "-05:00")],
    });
    expect(points.map((each) => each.key)).toEqual(["2026-11-01T00:00", "2026-11-01T01:00|-04:00", "2026-11-01T01:00|-05:00", "2026-11-01T02:00"]);
    expect(points.map((each) => bucketLabel(each.key, "hour"))).toEqual(["Nov 1, 00:00", "Nov 1, 01:00 (UTC-04:00)", "Nov 1, 01:00 (UTC-05:00)", "Nov 1, 02:00"]);
  });

  it("labels days by their date", () => {
    expect(bucketLabel("2026-12-02T00:00", "day")).toBe("Dec 2");
  });
});
