"use client";

import type { TRouterOutputs } from "@/components/admin/types";
import { BarChart } from "@/components/charts/bar-chart";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";

type TTimeline = TRouterOutputs["cdrs"]["timeline"];

const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const hourLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** Buckets come as the tenant's wall-clock time ("2026-12-01T14:00"); read as UTC, nothing shifts them. */
function bucketLabel(at: string | number, unit: TTimeline["unit"]): string {
  const date = new Date(`${String(at)}:00Z`);
  return Number.isNaN(date.getTime()) ? String(at) : (unit === "hour" ? hourLabel : dayLabel).format(date);
}

/** Calls of the filter per hour or day, answered over unanswered: gaps and spikes show at a glance. */
export function CallsTimeline({ timeline, loading, emptyMessage = "No calls in this period" }: { timeline: TTimeline | undefined; loading: boolean; emptyMessage?: string }) {
  const unit = timeline?.unit ?? "day";
  return (
    <Card className="mb-3">
      <CardHeader>
        <CardTitle>Calls per {unit}</CardTitle>
      </CardHeader>
      <CardContent>
        <BarChart
          data={timeline?.points ?? []}
          xKey="at"
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
      </CardContent>
    </Card>
  );
}
