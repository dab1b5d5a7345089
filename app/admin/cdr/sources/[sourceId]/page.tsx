import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { SourceDetail } from "@/components/cdr/sources/source-detail";

export const metadata: Metadata = { title: "CDR source" };

export default async function CdrSourcePage({ params }: { params: Promise<{ sourceId: string }> }) {
  const { sourceId } = await params;
  // key: a fresh form when moving between sources (or from "new" to the created one).
  return (
    <Suspense fallback={<ListPageFallback title="CDR source" />}>
      <SourceDetail key={sourceId} sourceId={sourceId} />
    </Suspense>
  );
}
