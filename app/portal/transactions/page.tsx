import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { PortalTransactions } from "@/components/wallet/portal-transactions";

export const metadata: Metadata = { title: "Transactions" };

export default function TransactionsPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Transactions" />}>
      <PortalTransactions />
    </Suspense>
  );
}
