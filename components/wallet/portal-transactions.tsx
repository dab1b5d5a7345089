"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { balanceTone } from "@/components/wallet/balance-tone";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";
import { LedgerTable, useLedgerFilters } from "@/components/wallet/ledger-table";

/** The customer's own transactions: balance, filters, CSV. */
export function PortalTransactions() {
  const trpc = useTRPC();
  const wallet = useQuery(trpc.wallet.mine.queryOptions());
  const filters = useLedgerFilters();
  const ledger = useQuery({ ...trpc.wallet.myLedger.queryOptions(filters.queryInput), placeholderData: keepPreviousData });
  const account = wallet.data;
  return (
    <div>
      <PageHeader title="Transactions" description="Every top-up, charge, fee and adjustment on your account, newest first." />
      <div className="mb-5 grid grid-cols-1 gap-4 sm:grid-cols-3">
        {/* Beside the ledger, at its precision: the balance reads as the newest entry's balance after. */}
        <Stat
          label="Balance"
          value={account ? <Money micros={account.balance} currency={account.tenant.currency} toneNegative={false} precision={LEDGER_PRECISION} /> : null}
          tone={account ? balanceTone(account) : "neutral"}
          hint={wallet.isError ? "Could not load the balance." : account?.credit ? "Below zero is what you owe." : undefined}
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
        exportPath="/api/portal/ledger"
      />
    </div>
  );
}
