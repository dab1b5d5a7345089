"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { isUuid } from "@/components/admin/format";
import { DownloadIcon, InvoiceIcon } from "@/components/shell/icons";
import { buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { periodLabel } from "@/components/wallet/labels";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";
import { formatInstant, usableTimeZone } from "@/components/time/format-instant";
import { RecordUnavailable } from "@/components/admin/record-unavailable";
import { StatementActivityCard, StatementUsageCard } from "@/components/wallet/statement-details";

const BREADCRUMB_ROOT = { label: "Statements", href: "/portal/statements" };

/**
 * One statement: opening balance, the month's movements by category, closing balance, then what
 * made them up (call usage by category, and every other entry), as the PDF prints them.
 */
export function StatementView({ statementId }: { statementId: string }) {
  const trpc = useTRPC();
  const valid = isUuid(statementId);
  const statement = useQuery({ ...trpc.statements.get.queryOptions({ statementId }), enabled: valid });

  if (!valid || statement.isError) {
    return (
      <RecordUnavailable
        title="Statement"
        parent={BREADCRUMB_ROOT}
        error={statement.error}
        invalidId={!valid}
        what="this statement"
        onRetry={() => void statement.refetch()}
        notFound={{ icon: <InvoiceIcon />, title: "This statement does not exist", description: "The link may be wrong.", backLabel: "Back to statements" }}
      />
    );
  }
  if (statement.isPending) {
    return (
      <div aria-busy="true">
        <PageHeader title="Statement" breadcrumbs={[BREADCRUMB_ROOT, { label: "Statement" }]} />
        <Card>
          <CardContent>
            <SkeletonText lines={8} />
          </CardContent>
        </Card>
      </div>
    );
  }

  const data = statement.data;
  const currency = data.tenant.currency;
  // The zone the server cut this month in; a zone Intl does not know shows UTC rather than failing.
  const timeZone = usableTimeZone(data.tenant.timeZone);
  const lastDay = new Date(data.periodEnd.getTime() - 1);
  // The statement's own instants (the month in the tenant's zone, end exclusive): calendar
  // dates would be read in the browser's zone and list a different set of entries.
  const transactionsHref = `/portal/transactions?${new URLSearchParams({ from: data.periodStart.toISOString(), to: data.periodEnd.toISOString() }).toString()}`;
  const title = `Statement for ${periodLabel(data.period)}`;

  return (
    <div>
      <PageHeader
        breadcrumbs={[BREADCRUMB_ROOT, { label: periodLabel(data.period) }]}
        title={title}
        description={`${data.customer.name} · account ${data.customer.accountNumber} · ${formatInstant(data.periodStart, timeZone, "date")} to ${formatInstant(lastDay, timeZone, "date")}`}
        actions={
          <>
            <Link href={transactionsHref} className={buttonClassName("ghost")}>
              View transactions
            </Link>
            <a href={`/api/portal/statements/${data.id}/pdf`} className={buttonClassName("primary")}>
              <DownloadIcon />
              Download PDF
            </a>
          </>
        }
      />
      <Card aria-labelledby="statement-summary-title" className="max-w-3xl">
        <CardHeader>
          <CardTitle id="statement-summary-title">Summary</CardTitle>
        </CardHeader>
        <CardContent flush>
          <table className="w-full text-sm" aria-labelledby="statement-summary-title">
            <tbody>
              <tr className="border-b border-slate-200 font-semibold">
                <th scope="row" className="px-4 py-2.5 text-left">
                  Opening balance
                </th>
                <td className="px-4 py-2.5 text-right">
                  <Money micros={data.openingBalance} currency={currency} precision={LEDGER_PRECISION} />
                </td>
              </tr>
              {data.sections.map((section) => (
                <tr key={section.key} className="border-b border-slate-100">
                  <th scope="row" className="px-4 py-2 text-left font-normal text-slate-700">
                    {section.label}
                  </th>
                  <td className="px-4 py-2 text-right">
                    <Money micros={section.amount} currency={currency} precision={LEDGER_PRECISION} tonePositive signPositive />
                  </td>
                </tr>
              ))}
              <tr className="font-semibold">
                <th scope="row" className="px-4 py-2.5 text-left">
                  Closing balance
                </th>
                <td className="px-4 py-2.5 text-right">
                  <Money micros={data.closingBalance} currency={currency} precision={LEDGER_PRECISION} />
                </td>
              </tr>
            </tbody>
          </table>
        </CardContent>
      </Card>
      <p className="mt-3 max-w-3xl text-xs text-slate-500">
        Credits are positive and charges negative. Amounts are shown to {LEDGER_PRECISION} decimal places; point at a rounded one for the exact amount. Dates follow {data.tenant.name}&apos;s time zone ({data.tenant.timeZone}).
      </p>
      <StatementUsageCard statement={data} />
      <StatementActivityCard statement={data} timeZone={timeZone} />
    </div>
  );
}
