import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { ImportPreview } from "@/components/rating/import-preview";

export const metadata: Metadata = { title: "Import preview" };

export default async function DeckImportPage({ params }: { params: Promise<{ deckId: string; importId: string }> }) {
  const { deckId, importId } = await params;
  return (
    <Suspense fallback={<ListPageFallback title="Import preview" />}>
      <ImportPreview key={importId} deckId={deckId} importId={importId} />
    </Suspense>
  );
}
