import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { DeckDetail } from "@/components/rating/deck-detail";

export const metadata: Metadata = { title: "Rate deck" };

export default async function RateDeckPage({ params }: { params: Promise<{ deckId: string }> }) {
  const { deckId } = await params;
  // key: a fresh component (dialogs closed, state reset) when moving between decks.
  return (
    <Suspense fallback={<ListPageFallback title="Rate deck" />}>
      <DeckDetail key={deckId} deckId={deckId} />
    </Suspense>
  );
}
