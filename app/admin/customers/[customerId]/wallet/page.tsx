import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { WalletAdmin } from "@/components/wallet/wallet-admin";

export const metadata: Metadata = { title: "Wallet" };

export default async function CustomerWalletPage({ params }: { params: Promise<{ customerId: string }> }) {
  const { customerId } = await params;
  // Suspense: the ledger's filters live in the URL (useSearchParams).
  return (
    <Suspense fallback={<ListPageFallback title="Wallet" />}>
      <WalletAdmin key={customerId} customerId={customerId} />
    </Suspense>
  );
}
