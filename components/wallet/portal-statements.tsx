"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { QueryError } from "@/components/admin/query-error";
import { InvoiceIcon } from "@/components/shell/icons";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { periodLabel, type TStatementRow } from "@/components/wallet/labels";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";

/** `currency` is the list's: null only before it loads, when there are no rows. */
function statementColumns(currency: string | null): ColumnDef<TStatementRow>[] {
  return [
    {
      id: "period",
      header: "Month",
      cell: ({ row }) => (
        <Link href={`/portal/statements/${row.original.id}`} className="font-medium text-brand-700 hover:underline">
          {periodLabel(row.original.period)}
        </Link>
      ),
    },
    {
      id: "opening",
      header: "Opening balance",
      meta: { align: "right" },
      cell: ({ row }) => (currency ? <Money micros={row.original.openingBalance} currency={currency} precision={LEDGER_PRECISION} /> : null),
    },
    {
      id: "closing",
      header: "Closing balance",
      meta: { align: "right" },
      cell: ({ row }) => (currency ? <Money micros={row.original.closingBalance} currency={currency} precision={LEDGER_PRECISION} /> : null),
    },
    { id: "generatedAt", header: "Issued", meta: { align: "right" }, cell: ({ row }) => <DateTime value={row.original.generatedAt} style="date" /> },
    {
      id: "pdf",
      header: () => <span className="sr-only">Download</span>,
      meta: { align: "right", width: "1%" },
      cell: ({ row }) => (
        <a href={`/api/portal/statements/${row.original.id}/pdf`} className="text-brand-700 hover:underline" aria-label={`Download ${periodLabel(row.original.period)} as PDF`}>
          PDF
        </a>
      ),
    },
  ];
}

/** The customer's monthly statements, in the currency the list came with. */
export function PortalStatements() {
  const trpc = useTRPC();
  const router = useRouter();
  const statements = useQuery(trpc.statements.mine.queryOptions());
  const rows = statements.data?.statements ?? [];
  return (
    <div>
      <PageHeader title="Statements" description="A statement of your account is issued on the 1st of every month for the month before." />
      <DataTable<TStatementRow>
        label="Statements"
        columns={statementColumns(statements.data?.currency ?? null)}
        rows={rows}
        total={rows.length}
        page={0}
        pageSize={Math.max(rows.length, 1)}
        pageSizeOptions={[]}
        onPageChange={() => undefined}
        loading={statements.isPending}
        getRowId={(row) => row.id}
        onRowClick={(row) => router.push(`/portal/statements/${row.id}`)}
        maxHeight={null}
        emptyState={
          statements.isError ? (
            <QueryError error={statements.error} what="statements" onRetry={() => void statements.refetch()} />
          ) : (
            <EmptyState compact icon={<InvoiceIcon />} title="No statements yet" description="Your first statement arrives on the 1st of next month." />
          )
        }
      />
    </div>
  );
}
