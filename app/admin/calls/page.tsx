import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { CallsExplorer } from "@/components/cdr/calls/calls-explorer";

export const metadata: Metadata = { title: "Calls" };

export default function CallsPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Calls" />}>
      <CallsExplorer audience="admin" />
    </Suspense>
  );
}
