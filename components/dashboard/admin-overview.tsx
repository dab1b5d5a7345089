"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BarChart } from "@/components/charts/bar-chart";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";

const STATUSES = ["ACTIVE", "SUSPENDED", "LOCKED", "CLOSED"] as const;

export function AdminOverview({ tenantName, denied }: { tenantName: string; denied: boolean }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.tenant.overview.queryOptions());
  const data = overview.data;
  const chart = STATUSES.map((status) => ({ status: status.charAt(0) + status.slice(1).toLowerCase(), customers: data?.customers.byStatus[status] ?? 0 }));
  return (
    <div className="space-y-6">
      <PageHeader title="Overview" description={`What needs attention at ${tenantName}.`} />
      {denied ? (
        <p role="alert" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The customer portal is for customer accounts. You are signed in as tenant staff.
        </p>
      ) : null}
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Stat label="Customers" value={data?.customers.total ?? "—"} loading={overview.isLoading} hint={`${data?.customers.byStatus.ACTIVE ?? 0} active`} />
        <Stat label="Prepaid / postpaid" value={data ? `${data.customers.byBillingType.PREPAID ?? 0} / ${data.customers.byBillingType.POSTPAID ?? 0}` : "—"} loading={overview.isLoading} />
        <Stat label="People with access" value={data?.members ?? "—"} loading={overview.isLoading} hint={`${data?.openInvitations ?? 0} invitation(s) open`} />
        <Stat
          label="Failed jobs (24 h)"
          value={data?.failedJobsLastDay ?? "—"}
          loading={overview.isLoading}
          tone={data && data.failedJobsLastDay > 0 ? "danger" : "neutral"}
          hint={<Link href="/admin/jobs?status=FAILED" className="text-brand-700 hover:underline">View jobs</Link>}
        />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Customers by status</CardTitle>
          </CardHeader>
          <CardContent>
            <BarChart data={chart} xKey="status" series={[{ key: "customers", label: "Customers" }]} loading={overview.isLoading} height={200} />
          </CardContent>
        </Card>
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
                      <span className="font-medium">{event.action}</span>
                      <span className="text-slate-500"> by {event.actorEmail ?? "system"}</span>
                    </span>
                    <time className="shrink-0 text-xs text-slate-500 numeric" dateTime={event.at.toISOString()}>
                      {event.at.toLocaleString()}
                    </time>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
