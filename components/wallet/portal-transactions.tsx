"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { LedgerTable, useLedgerFilters } from "@/components/wallet/ledger-table";

/** The customer's own transactions: balance, filters, CSV. */
export function PortalTransactions() {
  const trpc = useTRPC();
  const wallet = useQuery(trpc.wallet.mine.queryOptions());
  const filters = useLedgerFilters();
  const ledger = useQuery({ ...trpc.wallet.myLedger.queryOptions(filters.queryInput), placeholderData: keepPreviousData });
  const currency = wallet.data?.tenant.currency ?? "USD";
  const balance = wallet.data?.balance;
  return (
    <div>
      <PageHeader title="Transactions" description="Every top-up, charge, fee and adjustment on your account, newest first." />
      <div className="mb-5 grid grid-cols-1 gap-4 sm:grid-cols-3">
        <Stat
          label="Balance"
          value={<Money micros={balance} currency={currency} />}
          tone={balance !== undefined && balance < 0n ? "danger" : "neutral"}
          loading={wallet.isPending}
        />
      </div>
      <LedgerTable
        label="Transactions"
        filters={filters}
        data={ledger.data}
        loading={ledger.isFetching}
        error={ledger.error}
        onRetry={() => void ledger.refetch()}
        currency={currency}
        exportPath="/api/portal/ledger"
      />
    </div>
  );
}
