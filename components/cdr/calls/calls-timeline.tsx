"use client";

import type { TRouterOutputs } from "@/components/admin/types";
import { QueryError } from "@/components/admin/query-error";
import { BarChart } from "@/components/charts/bar-chart";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";

type TTimeline = TRouterOutputs["cdrs"]["timeline"];

const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const hourLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/**
 * Buckets come as the tenant's wall-clock time ("2026-12-01T14:00"); read as UTC, nothing
 * shifts them. The hour a clock goes back comes twice ("01:00" in summer time, then in winter
 * time): those two carry their UTC offset ("2026-11-01T01:00|-04:00").
 */
export function bucketLabel(key: string | number, unit: TTimeline["unit"]): string {
  const [at, offset] = String(key).split("|");
  const date = new Date(`${at}:00Z`);
  if (Number.isNaN(date.getTime())) return String(key);
  const label = (unit === "hour" ? hourLabel : dayLabel).format(date);
  return offset ? `${label} (UTC${offset})` : label;
}

/** The points with a key per bar: the wall-clock time, and the offset where that time repeats. */
export function keyedPoints(timeline: TTimeline | undefined) {
  const points = timeline?.points ?? [];
  const seen = new Map<string, number>();
  for (const point of points) seen.set(point.at, (seen.get(point.at) ?? 0) + 1);
  return points.map((point) => ({ ...point, key: (seen.get(point.at) ?? 0) > 1 ? `${point.at}|${point.utcOffset}` : point.at }));
}

/**
 * Calls of the filter per hour or day, answered over unanswered: gaps and spikes show at a glance.
 * A failed query shows why, with a retry, rather than loading for ever.
 */
export function CallsTimeline({
  timeline,
  loading,
  emptyMessage = "No calls in this period",
  failure = null,
}: {
  timeline: TTimeline | undefined;
  loading: boolean;
  emptyMessage?: string;
  failure?: { error: unknown; onRetry: () => void } | null;
}) {
  const unit = timeline?.unit ?? "day";
  return (
    <Card className="mb-3">
      <CardHeader>
        <CardTitle>Calls per {unit}</CardTitle>
      </CardHeader>
      <CardContent>
        {failure ? (
          <QueryError error={failure.error} what={`the calls per ${unit}`} onRetry={failure.onRetry} />
        ) : (
          <BarChart
            data={keyedPoints(timeline)}
            xKey="key"
            series={[
              { key: "answered", label: "Answered" },
              { key: "unanswered", label: "Unanswered" },
            ]}
            stacked
            height={160}
            loading={loading}
            label={`Calls per ${unit}`}
            xFormatter={(value) => bucketLabel(value, unit)}
            emptyMessage={emptyMessage}
          />
        )}
      </CardContent>
    </Card>
  );
}
