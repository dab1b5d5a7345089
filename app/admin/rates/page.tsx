import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { DecksList } from "@/components/rating/decks-list";

export const metadata: Metadata = { title: "Rate decks" };

export default function RateDecksPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Rate decks" />}>
      <DecksList />
    </Suspense>
  );
}
