import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { UnbillableQueue } from "@/components/cdr/unbillable/unbillable-queue";

export const metadata: Metadata = { title: "Unbillable calls" };

export default function UnbillablePage() {
  return (
    <Suspense fallback={<ListPageFallback title="Unbillable calls" />}>
      <UnbillableQueue />
    </Suspense>
  );
}
