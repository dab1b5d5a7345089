"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { StatusBadge } from "@/components/ui/status-badge";

export function PortalDashboard({ denied }: { denied: boolean }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.portal.overview.queryOptions());
  const account = overview.data;
  return (
    <div className="space-y-6">
      <PageHeader title={account ? account.name : "Dashboard"} description={account ? `Account ${account.accountNumber} with ${account.tenant.name}` : undefined} />
      {denied ? (
        <p role="alert" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The admin area is for {account?.tenant.name ?? "your provider"}&apos;s staff. This is your account&apos;s portal.
        </p>
      ) : null}
      {account && account.status !== "ACTIVE" ? (
        <p role="status" className="rounded-md bg-danger-50 px-3 py-2 text-sm text-danger-800">
          This account is {account.status.toLowerCase()}. Contact {account.tenant.name} if you think this is a mistake.
        </p>
      ) : null}
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Stat label="Account status" value={account ? <StatusBadge status={account.status} /> : "—"} loading={overview.isLoading} />
        <Stat label="Billing" value={account ? (account.billingType === "PREPAID" ? "Prepaid" : "Postpaid") : "—"} loading={overview.isLoading} />
        <Stat label="Currency" value={account?.tenant.currency ?? "—"} loading={overview.isLoading} />
        <Stat label="People with access" value={account?._count.memberships ?? "—"} loading={overview.isLoading} />
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Account details</CardTitle>
        </CardHeader>
        <CardContent>
          {account ? (
            <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
              <div><dt className="text-slate-500">Account number</dt><dd className="font-medium">{account.accountNumber}</dd></div>
              <div><dt className="text-slate-500">Billing contact</dt><dd className="font-medium">{account.contactEmail}</dd></div>
              <div><dt className="text-slate-500">Provider</dt><dd className="font-medium">{account.tenant.name}</dd></div>
              <div><dt className="text-slate-500">Customer since</dt><dd className="font-medium">{account.createdAt.toLocaleDateString()}</dd></div>
            </dl>
          ) : (
            <Skeleton className="h-16" />
          )}
        </CardContent>
      </Card>
    </div>
  );
}
