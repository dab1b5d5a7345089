import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { CarriersAdmin } from "@/components/rating/carriers-admin";

export const metadata: Metadata = { title: "Carriers" };

export default function CarriersPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Carriers" />}>
      <CarriersAdmin />
    </Suspense>
  );
}
