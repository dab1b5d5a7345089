"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { replaceSearchParams } from "@/components/admin/list-state";
import { MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import { outageAlertLines } from "@/components/cdr/sources/outage-alerts";
import { formatOutageDuration, sourceHref, type TAvailability } from "@/components/cdr/sources/types";
import { DownloadIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { Stat, type StatTone } from "@/components/ui/stat";
import { useInstantFormat, type TInstantFormat } from "@/components/time/time-zone-provider";
import { dateTimeInputValue, instantFromDateTimeInput } from "@/components/time/wall-time";

/** The clock, read in event handlers and state initialisers only (never during render). */
function nowMs(): number {
  return Date.now();
}

const PERIODS = [
  { id: "24h", label: "Last 24 h", ms: 86_400_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
] as const;

function toneOf(percent: number | null): StatTone {
  if (percent === null) return "neutral";
  if (percent >= 99.9) return "success";
  if (percent >= 99) return "warning";
  return "danger";
}

function percentText(percent: number | null): string {
  return percent === null ? "—" : `${percent.toFixed(3)} %`;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function downloadCsv(data: TAvailability): void {
  const lines = [
    ["server", "started_at_utc", "ended_at_utc", "ongoing", "duration_seconds", "seconds_in_period", "failed_checks", "error", "last_error", "down_alerted_at_utc", "recovery_alerted_at_utc"].join(","),
    ...data.outages.map((outage) =>
      [
        outage.server,
        outage.startedAt.toISOString(),
        outage.endedAt?.toISOString() ?? "",
        outage.ongoing ? "yes" : "no",
        String(Math.round(outage.durationMs / 1000)),
        String(Math.round(outage.inPeriodMs / 1000)),
        String(outage.failedChecks),
        outage.error,
        outage.lastError ?? "",
        outage.downAlertedAt?.toISOString() ?? "",
        outage.recoveryAlertedAt?.toISOString() ?? "",
      ]
        .map(csvCell)
        .join(","),
    ),
    "",
    ["server", "measured_from_utc", "measured_to_utc", "measured_seconds", "downtime_seconds", "outages", "availability_percent"].join(","),
    ...data.totals.map((total) =>
      [
        total.server,
        total.measuredFrom.toISOString(),
        total.measuredTo.toISOString(),
        String(Math.round(total.measuredMs / 1000)),
        String(Math.round(total.downtimeMs / 1000)),
        String(total.outageCount),
        total.availabilityPercent === null ? "" : total.availabilityPercent.toFixed(3),
      ]
        .map(csvCell)
        .join(","),
    ),
  ];
  const blob = new Blob([`${lines.join("\n")}\n`], { type: "text/csv" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `availability-${data.source.name.replace(/[^A-Za-z0-9_-]+/g, "-")}-${data.from.toISOString().slice(0, 10)}-${data.to.toISOString().slice(0, 10)}.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

/**
 * Outages and availability of a source's servers over a period: the evidence for an SLA
 * claim. Figures come from the server, exact to the millisecond; this page only lays them out.
 */
export function AvailabilityView({ sourceId }: { sourceId: string }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const periodId = searchParams.get("period") ?? "7d";
  const fromParam = searchParams.get("from");
  const toParam = searchParams.get("to");
  const instantFormat = useInstantFormat();
  const { timeZone } = instantFormat;
  // "Last N" periods end at the moment they were chosen (or refreshed), so the query key is stable.
  const [anchor, setAnchor] = useState(nowMs);
  // A custom period in the address starts from its own dates, a missing one blank (as its error says).
  const [draft, setDraft] = useState(() => ({
    from: fromParam ?? (periodId === "custom" ? "" : dateTimeInputValue(new Date(nowMs() - 7 * 86_400_000), timeZone)),
    to: toParam ?? (periodId === "custom" ? "" : dateTimeInputValue(new Date(nowMs()), timeZone)),
  }));

  const customFrom = useMemo(() => instantFromDateTimeInput(fromParam, timeZone), [fromParam, timeZone]);
  const customTo = useMemo(() => instantFromDateTimeInput(toParam, timeZone), [toParam, timeZone]);
  const custom = periodId === "custom";
  // A custom period is the dates typed or nothing: never another period under the "Custom" button.
  const customProblem = !custom ? null : !customFrom || !customTo ? "MISSING" : customTo <= customFrom ? "ORDER" : null;
  const range = useMemo(() => {
    if (custom) return customFrom && customTo && customTo > customFrom ? { from: customFrom, to: customTo } : null;
    const period = PERIODS.find((entry) => entry.id === periodId) ?? PERIODS[1];
    return { from: new Date(anchor - period.ms), to: new Date(anchor) };
  }, [custom, periodId, customFrom, customTo, anchor]);

  const source = useQuery(trpc.cdrSources.get.queryOptions({ sourceId }));
  const availability = useQuery({
    ...trpc.cdrSources.availability.queryOptions(range ? { sourceId, from: range.from, to: range.to } : skipToken),
    placeholderData: keepPreviousData,
  });

  const choose = (id: string) => {
    setAnchor(nowMs());
    replaceSearchParams({ period: id === "7d" ? null : id, ...(id === "custom" ? { from: draft.from, to: draft.to } : { from: null, to: null }) }, pathname);
  };

  const name = source.data?.name ?? "CDR source";
  const data = availability.data;

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={`Availability: ${name}`}
        breadcrumbs={[{ label: "CDR sources", href: "/admin/cdr/sources" }, { label: name, href: sourceHref(sourceId) }, { label: "Availability" }]}
        description="Every period a server could not be reached, from the first failed check to the first successful one."
        actions={
          data && !customProblem ? (
            <Button onClick={() => downloadCsv(data)}>
              <DownloadIcon />
              Download CSV
            </Button>
          ) : null
        }
      />

      <Card>
        <CardContent className="flex flex-wrap items-end gap-3">
          <div role="group" aria-label="Period" className="flex flex-wrap gap-1">
            {PERIODS.map((period) => (
              <Button key={period.id} size="sm" variant={periodId === period.id ? "primary" : "secondary"} aria-pressed={periodId === period.id} onClick={() => choose(period.id)}>
                {period.label}
              </Button>
            ))}
            <Button size="sm" variant={periodId === "custom" ? "primary" : "secondary"} aria-pressed={periodId === "custom"} onClick={() => choose("custom")}>
              Custom
            </Button>
          </div>
          {periodId === "custom" ? (
            <form
              className="flex flex-wrap items-end gap-2"
              onSubmit={(event) => {
                event.preventDefault();
                replaceSearchParams({ period: "custom", from: draft.from, to: draft.to }, pathname);
              }}
            >
              <FormField label="From" hint={`In ${timeZone}`} error={customProblem === "MISSING" && !customFrom ? "Enter both dates" : undefined}>
                <Input size="sm" type="datetime-local" value={draft.from} onChange={(event) => setDraft((current) => ({ ...current, from: event.target.value }))} />
              </FormField>
              <FormField
                label="Until"
                hint={`In ${timeZone}`}
                error={customProblem === "MISSING" && !customTo ? "Enter both dates" : customProblem === "ORDER" ? "The end must be after the start" : undefined}
              >
                <Input size="sm" type="datetime-local" value={draft.to} onChange={(event) => setDraft((current) => ({ ...current, to: event.target.value }))} />
              </FormField>
              <Button size="sm" type="submit">
                Apply
              </Button>
            </form>
          ) : (
            <Button size="sm" variant="ghost" onClick={() => setAnchor(nowMs())}>
              Refresh
            </Button>
          )}
          {data && !customProblem ? (
            <p className="ml-auto text-xs text-slate-500">
              {instantFormat.format(data.from, "precise")} → {instantFormat.format(data.to, "precise")} ({timeZone})
            </p>
          ) : null}
        </CardContent>
      </Card>

      {customProblem ? (
        <Card>
          <EmptyState
            compact
            title="Choose the period"
            description={customProblem === "MISSING" ? "Enter both the start and the end of the period, then apply." : "The end of the period must be after its start."}
          />
        </Card>
      ) : availability.isError ? (
        <Card>
          <QueryError error={availability.error} what="availability" onRetry={() => void availability.refetch()} />
        </Card>
      ) : !data ? (
        <Card>
          <CardContent>
            <SkeletonText lines={6} />
          </CardContent>
        </Card>
      ) : (
        <div className={availability.isFetching ? "flex flex-col gap-4 opacity-70" : "flex flex-col gap-4"}>
          <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
            {data.totals.map((total) => (
              <Stat
                key={total.serverKey}
                label={total.serverKey === "all" ? "Source: any server reachable" : total.removedAt ? `${total.server} (removed)` : total.server}
                value={percentText(total.availabilityPercent)}
                tone={toneOf(total.availabilityPercent)}
                hint={
                  total.measuredMs === 0
                    ? "Not monitored in this period"
                    : `${formatOutageDuration(total.downtimeMs)} down · ${total.outageCount} outage${total.outageCount === 1 ? "" : "s"}`
                }
              />
            ))}
          </div>

          <MonitoredNote data={data} instantFormat={instantFormat} />

          <Timeline data={data} instantFormat={instantFormat} />

          <Card>
            <CardHeader>
              <CardTitle>Outages</CardTitle>
              <CardDescription>
                Checked at every poll (every {data.source.pollIntervalMinutes} min), so times are exact to the poll. &quot;In period&quot; is the part inside the chosen period (up to now). An alert
                counts as sent once the mail relay accepted it (with no mail server configured, once it was kept in the outbox).
              </CardDescription>
            </CardHeader>
            {data.outages.length === 0 ? (
              data.totals.every((total) => total.measuredMs === 0) ? (
                <EmptyState
                  compact
                  title="Not monitored in this period"
                  description="Polling was off for the whole period: no server was checked, so there is no availability to report."
                />
              ) : (
                <EmptyState compact title="No outage in this period" description="Every server answered every check while it was monitored." />
              )
            ) : (
              <MiniTable label="Outages" columns={["Server", "Down from", "Until", { label: "Duration", align: "right" }, { label: "In period", align: "right" }, { label: "Checks", align: "right" }, "Alerted", "Error"]}>
                {data.outages.map((outage) => (
                  <tr key={outage.id} className="align-top text-sm">
                    <td className="border-b border-slate-100 px-3 py-1.5 pl-4 whitespace-nowrap">
                      {outage.serverKey === "all" ? (
                        <Badge tone="danger" dot>
                          All servers
                        </Badge>
                      ) : (
                        <span className="flex flex-col">
                          <span className="font-mono text-xs">{outage.server}</span>
                          {outage.serverRemovedAt ? (
                            <span className="text-xs text-slate-500">
                              removed <DateTime value={outage.serverRemovedAt} />
                            </span>
                          ) : null}
                        </span>
                      )}
                    </td>
                    <td className="border-b border-slate-100 px-3 py-1.5 whitespace-nowrap">
                      <DateTime value={outage.startedAt} style="precise" />
                    </td>
                    <td className="border-b border-slate-100 px-3 py-1.5 whitespace-nowrap">
                      {outage.endedAt ? (
                        <DateTime value={outage.endedAt} style="precise" />
                      ) : (
                        <Badge tone="danger" dot>
                          Ongoing
                        </Badge>
                      )}
                    </td>
                    <td className="numeric border-b border-slate-100 px-3 py-1.5 text-right whitespace-nowrap">{formatOutageDuration(outage.durationMs)}</td>
                    <td className="numeric border-b border-slate-100 px-3 py-1.5 text-right whitespace-nowrap">{formatOutageDuration(outage.inPeriodMs)}</td>
                    <td className="numeric border-b border-slate-100 px-3 py-1.5 text-right">{outage.failedChecks}</td>
                    <td className="border-b border-slate-100 px-3 py-1.5 text-xs">
                      {outageAlertLines(outage, data.source.alertsBlockedBy).map((line) => (
                        <span key={line.text} className={line.tone === "warning" ? "block font-medium text-warning-800" : line.tone === "muted" ? "block text-slate-500" : "block text-slate-700"}>
                          {line.text}
                          {line.at ? (
                            <>
                              {" "}
                              <DateTime value={line.at} style="precise" />
                            </>
                          ) : null}
                        </span>
                      ))}
                    </td>
                    <td className="border-b border-slate-100 px-3 py-1.5 pr-4 text-xs text-slate-700">
                      {outage.error}
                      {outage.lastError && outage.lastError !== outage.error ? <span className="block text-slate-500">Last: {outage.lastError}</span> : null}
                    </td>
                  </tr>
                ))}
              </MiniTable>
            )}
          </Card>
        </div>
      )}
    </div>
  );
}

/** Says when the measured part of the period differs from the chosen one (a new server, a period reaching into the future). */
function MonitoredNote({ data, instantFormat }: { data: TAvailability; instantFormat: TInstantFormat }) {
  const partial = data.totals.filter((total) => total.measuredMs > 0 && (total.measuredFrom > data.from || total.measuredTo < data.to));
  // One line per distinct window: usually every server was added with the source.
  const windows = new Map<string, { names: string[]; total: (typeof partial)[number] }>();
  for (const total of partial) {
    // To the second: a source and its servers are created milliseconds apart.
    const key = `${Math.floor(total.measuredFrom.getTime() / 1000)}-${Math.floor(total.measuredTo.getTime() / 1000)}-${total.removedAt ? "removed" : ""}`;
    const entry = windows.get(key) ?? { names: [], total };
    entry.names.push(total.serverKey === "all" ? "the source" : total.server);
    windows.set(key, entry);
  }
  if (windows.size === 0) return null;
  const everything = windows.size === 1 && partial.length === data.totals.length;
  return (
    <ul className="flex flex-col gap-0.5 text-xs text-slate-600">
      {[...windows.entries()].map(([key, { names, total }]) => (
        <li key={key}>
          {everything ? "Monitored" : `${names.join(", ")}: monitored`} {formatOutageDuration(total.measuredMs)} of this period, from {instantFormat.format(total.measuredFrom, "precise")}
          {total.measuredFrom > data.from ? " (first monitored)" : ""} to {instantFormat.format(total.measuredTo, "precise")}
          {total.removedAt ? " (when removed)" : total.measuredTo < data.to ? " (now)" : ""}; availability is over that time.
        </li>
      ))}
    </ul>
  );
}

/** One bar per server over the period: red where it was down, hatched where it was not monitored. */
function Timeline({ data, instantFormat }: { data: TAvailability; instantFormat: TInstantFormat }) {
  const from = data.from.getTime();
  const span = data.to.getTime() - from;
  const share = (date: Date) => ((date.getTime() - from) / span) * 100;
  const at = (date: Date) => `${share(date).toFixed(4)}%`;
  // A short outage stays visible (at least 0.3% wide), and inside the bar.
  const segmentStyle = (start: Date, end: Date) => {
    const width = Math.max(0.3, share(end) - share(start));
    return { left: `${Math.min(share(start), 100 - width).toFixed(4)}%`, width: `${width.toFixed(4)}%` };
  };
  return (
    <Card>
      <CardHeader>
        <CardTitle>Timeline</CardTitle>
        <CardDescription>Red: down. Hatched: not monitored (polling off, before the server was added, after it was removed, or still to come).</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-2">
        {data.timeline.map((row) => {
          return (
            <div key={row.serverKey} className="grid grid-cols-[12rem_1fr] items-center gap-3">
              <span className="truncate font-mono text-xs text-slate-700" title={row.server}>
                {row.serverKey === "all" ? "All servers down" : row.removedAt ? `${row.server} (removed)` : row.server}
              </span>
              <div className="relative h-5 overflow-hidden rounded bg-success-100" role="img" aria-label={`${row.server}: ${row.segments.length} outage segment(s)`}>
                {row.unmonitored.map((gap) => (
                  <div
                    key={gap.from.toISOString()}
                    className="absolute inset-y-0 bg-[repeating-linear-gradient(45deg,#e2e8f0_0,#e2e8f0_4px,#f8fafc_4px,#f8fafc_8px)]"
                    style={{ left: at(gap.from), width: `${(share(gap.to) - share(gap.from)).toFixed(4)}%` }}
                    title={`Not monitored: ${instantFormat.format(gap.from, "precise")} → ${instantFormat.format(gap.to, "precise")}`}
                  />
                ))}
                {row.segments.map((segment) => (
                  <div
                    key={segment.from.toISOString()}
                    className="absolute inset-y-0 bg-danger-500"
                    style={segmentStyle(segment.from, segment.to)}
                    title={`${instantFormat.format(segment.from, "precise")} → ${instantFormat.format(segment.to, "precise")} (${formatOutageDuration(segment.to.getTime() - segment.from.getTime())})`}
                  />
                ))}
              </div>
            </div>
          );
        })}
        <div className="grid grid-cols-[12rem_1fr] gap-3 text-[11px] text-slate-500">
          <span />
          <span className="flex justify-between">
            <span>{instantFormat.format(data.from)}</span>
            <span>{instantFormat.format(data.to)}</span>
          </span>
        </div>
      </CardContent>
    </Card>
  );
}
