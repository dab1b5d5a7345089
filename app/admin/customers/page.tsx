import type { Metadata } from "next";
import { Suspense } from "react";
import { CustomersList } from "@/components/admin/customers-list";
import { ListPageFallback } from "@/components/admin/list-page-fallback";

export const metadata: Metadata = { title: "Customers" };

export default function CustomersPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Customers" />}>
      <CustomersList />
    </Suspense>
  );
}
