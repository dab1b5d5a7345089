import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { SourcesList } from "@/components/cdr/sources/sources-list";

export const metadata: Metadata = { title: "CDR sources" };

export default function CdrSourcesPage() {
  return (
    <Suspense fallback={<ListPageFallback title="CDR sources" />}>
      <SourcesList />
    </Suspense>
  );
}
