"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { QueryError } from "@/components/admin/query-error";
import { buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Money } from "@/components/ui/money";
import { Skeleton } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { StatusBadge } from "@/components/ui/status-badge";
import { balanceTone } from "@/components/wallet/balance-tone";
import { periodLabel } from "@/components/wallet/labels";

export function PortalDashboard({ denied }: { denied: boolean }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.portal.overview.queryOptions());
  const account = overview.data;
  const wallet = useQuery(trpc.wallet.mine.queryOptions());
  const balance = wallet.data;
  const spending = useQuery(trpc.portal.spentThisMonth.queryOptions());
  const locked = balance?.status === "LOCKED";
  // The server's rule, the one the low-balance mail follows: postpaid accounts by the credit they have left.
  const low = balance?.belowLowBalance === true;
  const postpaid = balance?.billingType === "POSTPAID";
  // A postpaid account paid ahead owes nothing: what it holds is shown, not "owed $0.00".
  const inCredit = postpaid && balance !== undefined && balance.balance > 0n;
  const failed = [overview, wallet, spending].filter((query) => query.isError);
  const retryFailed = () => {
    for (const query of failed) void query.refetch();
  };
  return (
    <div className="space-y-6">
      <PageHeader title={account ? account.name : "Dashboard"} description={account ? `Account ${account.accountNumber} with ${account.tenant.name}` : undefined} />
      {denied ? (
        <p role="alert" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The admin area is for {account?.tenant.name ?? "your provider"}&apos;s staff. This is your account&apos;s portal.
        </p>
      ) : null}
      {locked && balance ? (
        <div role="alert" className="flex flex-wrap items-center justify-between gap-3 rounded-md border border-danger-600/30 bg-danger-50 px-4 py-3 text-sm text-danger-800">
          {/* The stored lock reason is for staff and the audit log: it was written when the
              account locked, with the balance of that moment in raw units. */}
          {balance.lockSource === "MANUAL" ? (
            <p>
              <span className="font-semibold">Your account is locked: calls are on hold.</span> {account?.tenant.name ?? "Your provider"} locked
              it; contact them to resume service.
            </p>
          ) : (
            <p>
              <span className="font-semibold">
                Your account is locked: the balance of <Money micros={balance.balance} currency={balance.tenant.currency} toneNegative={false} />{" "}
                {postpaid ? (
                  <>
                    is past your credit limit of <Money micros={balance.creditLimit} currency={balance.tenant.currency} toneNegative={false} />.
                  </>
                ) : (
                  "cannot carry calls."
                )}
              </span>{" "}
              {postpaid
                ? "Pay the outstanding amount to resume; a payment that brings the balance back within the limit unlocks it at once."
                : "Top up to resume; a payment that brings the balance back unlocks it at once."}
            </p>
          )}
          {balance.lockSource !== "MANUAL" ? (
            <Link href="/portal/balance" className={buttonClassName("danger")}>
              {postpaid ? "Pay now" : "Top up now"}
            </Link>
          ) : null}
        </div>
      ) : low && balance ? (
        <div role="status" className="flex flex-wrap items-center justify-between gap-3 rounded-md border border-warning-600/30 bg-warning-50 px-4 py-3 text-sm text-warning-800">
          {balance.credit ? (
            <p>
              You have <Money micros={balance.credit.available} currency={balance.tenant.currency} toneNegative={false} /> of your{" "}
              <Money micros={balance.credit.limit} currency={balance.tenant.currency} toneNegative={false} /> credit limit left. Pay the outstanding amount
              to keep calls flowing.
            </p>
          ) : (
            <p>
              Your balance is below <Money micros={balance.lowBalanceThreshold} currency={balance.tenant.currency} toneNegative={false} />. Top up to keep
              calls flowing.
            </p>
          )}
          <Link href="/portal/balance" className={buttonClassName("secondary", "sm")}>
            {postpaid ? "Pay now" : "Top up"}
          </Link>
        </div>
      ) : null}
      {account && account.status !== "ACTIVE" && !locked ? (
        <p role="status" className="rounded-md bg-danger-50 px-3 py-2 text-sm text-danger-800">
          This account is {account.status.toLowerCase()}. Contact {account.tenant.name} if you think this is a mistake.
        </p>
      ) : null}
      {failed[0] ? (
        <Card>
          <CardContent flush>
            <QueryError error={failed[0].error} what="your account" onRetry={retryFailed} />
          </CardContent>
        </Card>
      ) : (
        <div className={postpaid ? "grid grid-cols-2 gap-4 lg:grid-cols-3 xl:grid-cols-6" : "grid grid-cols-2 gap-4 lg:grid-cols-5"}>
          {/* Headline figures at the currency's decimals; Money's tooltip has the exact amount. A
              postpaid account is read by what it owes and the credit it has left (getWallet). */}
          <Stat
            label={postpaid ? (inCredit ? "In credit" : "Amount owed") : "Balance"}
            value={
              balance ? (
                <Money micros={balance.credit && !inCredit ? balance.credit.owed : balance.balance} currency={balance.tenant.currency} toneNegative={false} />
              ) : null
            }
            tone={balance ? balanceTone(balance) : "neutral"}
            hint={
              <Link href="/portal/transactions" className="text-brand-700 hover:underline">
                Transactions
              </Link>
            }
            loading={!balance}
          />
          {balance?.credit ? (
            <Stat
              label="Available credit"
              value={<Money micros={balance.credit.available} currency={balance.tenant.currency} toneNegative={false} />}
              tone={balanceTone(balance)}
              hint={
                <>
                  Credit limit <Money micros={balance.credit.limit} currency={balance.tenant.currency} />
                </>
              }
            />
          ) : null}
          <Stat
            label="Spent this month"
            value={spending.data ? <Money micros={spending.data.spent} currency={spending.data.currency} toneNegative={false} /> : null}
            hint={spending.data ? `Calls, SMS and fees in ${periodLabel(spending.data.period)}` : undefined}
            loading={!spending.data}
          />
          <Stat label="Account status" value={account ? <StatusBadge status={account.status} /> : null} loading={!account} />
          <Stat label="Billing" value={account ? (account.billingType === "PREPAID" ? "Prepaid" : "Postpaid") : null} loading={!account} />
          <Stat label="People with access" value={account?._count.memberships ?? null} loading={!account} />
        </div>
      )}
      {overview.isError ? null : (
        <Card>
          <CardHeader>
            <CardTitle>Account details</CardTitle>
          </CardHeader>
          <CardContent>
            {account ? (
              <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
                <div>
                  <dt className="text-slate-500">Account number</dt>
                  <dd className="font-medium">{account.accountNumber}</dd>
                </div>
                <div>
                  <dt className="text-slate-500">Billing contact</dt>
                  <dd className="font-medium">{account.contactEmail}</dd>
                </div>
                <div>
                  <dt className="text-slate-500">Provider</dt>
                  <dd className="font-medium">{account.tenant.name}</dd>
                </div>
                <div>
                  <dt className="text-slate-500">Currency</dt>
                  <dd className="font-medium">{account.tenant.currency}</dd>
                </div>
                <div>
                  <dt className="text-slate-500">Customer since</dt>
                  <dd className="font-medium">
                    <DateTime value={account.createdAt} style="date" />
                  </dd>
                </div>
              </dl>
            ) : (
              <Skeleton className="h-16" />
            )}
          </CardContent>
        </Card>
      )}
    </div>
  );
}
