"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { auditActionLabel } from "@/components/admin/audit-list";
import { DateTime } from "@/components/admin/date-time";
import { BarChart } from "@/components/charts/bar-chart";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { formatMicros } from "@/components/ui/money-format";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { statusLabel } from "@/components/ui/status-badge";

const STATUSES = ["ACTIVE", "SUSPENDED", "LOCKED", "CLOSED"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

// A fixed locale, as the money formatting uses: server and browser render the same text.
const wholeNumber = new Intl.NumberFormat("en-US");

function plural(count: number, one: string, many = `${one}s`): string {
  return `${wholeNumber.format(count)} ${count === 1 ? one : many}`;
}

/** "15 Mar" from a local date "2026-03-15": the chart's days are the tenant's, already. */
function shortDay(day: string | number): string {
  const [, month, date] = String(day).split("-");
  return month && date ? `${Number(date)} ${MONTHS[Number(month) - 1] ?? ""}` : String(day);
}

function marginShare(margin: bigint, revenue: bigint): string | null {
  if (revenue <= 0n) return null;
  const tenths = (margin * 1000n) / revenue;
  return `${tenths / 10n}.${(tenths < 0n ? -tenths : tenths) % 10n}% of revenue`;
}

const link = "text-brand-700 hover:underline";

export function AdminOverview({ tenantName, denied }: { tenantName: string; denied: boolean }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.tenant.overview.queryOptions());
  const data = overview.data;
  const figures = data?.figures;
  const loadingFigures = overview.isLoading;
  const currency = figures?.currency ?? "USD";
  const money = (micros: bigint | null | undefined) => (figures ? <Money micros={micros} currency={currency} /> : "—");
  const chart = STATUSES.map((status) => ({ status: statusLabel(status), customers: data?.customers.byStatus[status] ?? 0 }));
  const revenueByDay = (figures?.revenueByDay ?? []).map((day) => ({ day: day.day, revenue: Number(day.revenue), margin: Number(day.margin) }));
  // Thirty zero days would draw an axis of "$0.00" ticks: say there is nothing instead.
  const revenueChart = revenueByDay.some((day) => day.revenue !== 0 || day.margin !== 0) ? revenueByDay : [];
  const today = figures?.traffic.today;
  const month = figures?.traffic.month;
  const withoutCost = (count: number | undefined) => (count ? ` · ${plural(count, "call")} without cost left out` : "");
  const sourcesDown = figures?.sources.down ?? 0;
  const firstDownSource = figures?.sources.downSources[0];
  const openInvitations = data?.openInvitations ?? 0;

  return (
    <div className="space-y-6">
      <PageHeader title="Overview" description={`What needs attention at ${tenantName}.`} />
      {denied ? (
        <p role="alert" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The customer portal is for customer accounts. You are signed in as tenant staff.
        </p>
      ) : null}
      {overview.isError ? (
        <p role="alert" className="rounded-md bg-danger-50 px-3 py-2 text-sm text-danger-800">
          The overview could not be loaded.{" "}
          <button type="button" className="font-medium underline" onClick={() => void overview.refetch()}>
            Try again
          </button>
        </p>
      ) : null}
      {figures ? (
        // The figures are served from a cache of a minute: say how old they are, so a call that
        // just ended and is not counted yet is not taken for a fault.
        <p className="text-xs text-slate-500">
          Figures as of <DateTime value={figures.computedAt} timeZone={figures.timeZone} />, updated at most once a minute.
        </p>
      ) : null}

      <section aria-label="Revenue and traffic" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <Stat label="Revenue today" value={money(today?.revenue)} loading={loadingFigures} hint={today ? plural(today.answered, "answered call") : undefined} />
        <Stat
          label="Margin today"
          value={money(today?.margin)}
          loading={loadingFigures}
          tone={today && today.margin < 0n ? "danger" : "neutral"}
          hint={today ? `${marginShare(today.margin, today.revenue) ?? "No revenue yet"}${withoutCost(today.ratedWithoutCost)}` : undefined}
        />
        <Stat label="Revenue this month" value={money(month?.revenue)} loading={loadingFigures} hint={month ? `${plural(month.calls, "call")} · ${month.minutes} min` : undefined} />
        <Stat
          label="Margin this month"
          value={money(month?.margin)}
          loading={loadingFigures}
          tone={month && month.margin < 0n ? "danger" : "neutral"}
          hint={month ? `${marginShare(month.margin, month.revenue) ?? "No revenue yet"}${withoutCost(month.ratedWithoutCost)}` : undefined}
        />
        <Stat
          label="Calls today"
          value={today ? wholeNumber.format(today.calls) : "—"}
          loading={loadingFigures}
          hint={today ? <Link href="/admin/calls?range=today" className={link}>{`${plural(today.calls - today.answered, "unanswered", "unanswered")} · View calls`}</Link> : undefined}
        />
        <Stat label="Billed minutes today" value={today?.minutes ?? "—"} loading={loadingFigures} hint={figures ? `Today in ${figures.timeZone}` : undefined} />
      </section>

      <section aria-label="Needs attention" className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat
          label="Unbillable calls"
          value={figures ? wholeNumber.format(figures.unbillable.calls) : "—"}
          loading={loadingFigures}
          tone={figures && figures.unbillable.calls > 0 ? "warning" : "neutral"}
          hint={
            figures ? (
              <Link href="/admin/cdr/unbillable" className={link}>
                {figures.unbillable.calls > 0 ? (
                  <>
                    ≈ <Money micros={figures.unbillable.valueAtRisk} currency={currency} fallback="value unknown" /> at risk · Fix
                  </>
                ) : (
                  "Unbillable queue"
                )}
              </Link>
            ) : undefined
          }
        />
        <Stat
          label="CDR sources down"
          value={figures ? sourcesDown : "—"}
          loading={loadingFigures}
          tone={sourcesDown > 0 ? "danger" : figures && figures.sources.degraded > 0 ? "warning" : "neutral"}
          hint={
            figures ? (
              <Link href={sourcesDown === 1 && firstDownSource ? `/admin/cdr/sources/${firstDownSource.id}` : "/admin/cdr/sources"} className={link}>
                {sourcesDown > 0
                  ? figures.sources.downSources.map((source) => source.name).join(", ") + (sourcesDown > figures.sources.downSources.length ? "…" : "")
                  : figures.sources.degraded > 0
                    ? `${plural(figures.sources.degraded, "source")} with a server down`
                    : "All sources up"}
              </Link>
            ) : undefined
          }
        />
        <Stat
          label="Files held for review"
          value={figures ? wholeNumber.format(figures.files.held) : "—"}
          loading={loadingFigures}
          tone={figures && figures.files.held > 0 ? "warning" : "neutral"}
          hint={
            <Link href="/admin/cdr/files?status=HELD" className={link}>
              {figures && figures.files.held > 0 ? "Not billed until released · Review" : "View held files"}
            </Link>
          }
        />
        <Stat
          label="Files failed"
          value={figures ? wholeNumber.format(figures.files.failed) : "—"}
          loading={loadingFigures}
          tone={figures && figures.files.failed > 0 ? "danger" : "neutral"}
          hint={
            <Link href="/admin/cdr/files?status=FAILED" className={link}>
              {figures && figures.files.failed > 0 ? "Not fully billed · Fix and retry" : "View failed files"}
            </Link>
          }
        />
        <Stat
          label="Locked customers"
          value={figures ? figures.customers.locked : "—"}
          loading={loadingFigures}
          tone={figures && figures.customers.locked > 0 ? "danger" : "neutral"}
          hint={<Link href="/admin/customers?status=LOCKED" className={link}>View locked</Link>}
        />
        <Stat
          label="Low balance"
          value={figures ? figures.customers.lowBalance : "—"}
          loading={loadingFigures}
          tone={figures && figures.customers.lowBalance > 0 ? "warning" : "neutral"}
          hint={<Link href="/admin/customers?sort=balance" className={link}>Lowest balances first</Link>}
        />
        <Stat
          label="Failed jobs (24 h)"
          value={data?.failedJobsLastDay ?? "—"}
          loading={overview.isLoading}
          tone={data && data.failedJobsLastDay > 0 ? "danger" : "neutral"}
          hint={<Link href="/admin/jobs?status=FAILED" className={link}>View jobs</Link>}
        />
        <Stat
          label="People with access"
          value={data?.members ?? "—"}
          loading={overview.isLoading}
          hint={<Link href="/admin/users" className={link}>{openInvitations === 0 ? "No open invitations" : `${plural(openInvitations, "open invitation")}`}</Link>}
        />
      </section>

      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader actions={<Link href="/admin/calls" className="text-sm text-brand-700 hover:underline">Calls</Link>}>
            <CardTitle>Revenue, last 30 days</CardTitle>
            <CardDescription>Rated calls per day in {figures?.timeZone ?? "your time zone"}; margin over calls with a known cost.</CardDescription>
          </CardHeader>
          <CardContent>
            <BarChart
              data={revenueChart}
              xKey="day"
              xFormatter={shortDay}
              series={[
                { key: "revenue", label: "Revenue" },
                { key: "margin", label: "Margin" },
              ]}
              valueFormatter={(micros) => formatMicros(BigInt(Math.round(micros)), currency)}
              loading={loadingFigures}
              height={220}
              yAxisWidth={72}
              label="Revenue and margin per day, last 30 days"
              emptyMessage="No rated calls in the last 30 days"
            />
          </CardContent>
        </Card>
        <Card>
          <CardHeader actions={<Link href="/admin/customers" className="text-sm text-brand-700 hover:underline">Customers</Link>}>
            <CardTitle>Customers by status</CardTitle>
            <CardDescription>
              {data
                ? `${plural(data.customers.total, "account")} · ${data.customers.byBillingType.PREPAID ?? 0} prepaid, ${data.customers.byBillingType.POSTPAID ?? 0} postpaid`
                : "\u00a0"}
            </CardDescription>
          </CardHeader>
          <CardContent>
            {/* Four categories in a third of the page: every status is labelled (recharts would drop
                "Suspended" where it comes close to its neighbours), with room taken from the count axis. */}
            <BarChart
              data={chart}
              xKey="status"
              series={[{ key: "customers", label: "Customers" }]}
              loading={overview.isLoading}
              height={220}
              yAxisWidth={44}
              wholeNumbers
              allCategoryLabels
              label="Customers by status"
            />
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader actions={<Link href="/admin/audit" className="text-sm text-brand-700 hover:underline">Audit log</Link>}>
          <CardTitle>Recent changes</CardTitle>
        </CardHeader>
        <CardContent flush>
          {data && data.recentAudit.length === 0 ? (
            <EmptyState compact title="Nothing changed yet" description="Changes to customers and users appear here." />
          ) : (
            <ul className="divide-y divide-slate-100 text-sm">
              {(data?.recentAudit ?? []).map((event) => (
                <li key={event.id} className="flex items-center justify-between gap-3 px-4 py-2">
                  <span className="truncate">
                    <span className="font-medium">{auditActionLabel(event.action)}</span>
                    <span className="text-slate-500"> by {event.actorEmail ?? "system"}</span>
                  </span>
                  <DateTime value={event.at} className="shrink-0 text-xs text-slate-500" />
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
