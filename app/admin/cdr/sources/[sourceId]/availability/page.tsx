import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { AvailabilityView } from "@/components/cdr/sources/availability-view";

export const metadata: Metadata = { title: "CDR source availability" };

export default async function CdrSourceAvailabilityPage({ params }: { params: Promise<{ sourceId: string }> }) {
  const { sourceId } = await params;
  return (
    <Suspense fallback={<ListPageFallback title="Availability" />}>
      <AvailabilityView key={sourceId} sourceId={sourceId} />
    </Suspense>
  );
}
