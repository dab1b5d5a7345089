import type { Metadata } from "next";
import { Suspense } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { PriceCallTool } from "@/components/rating/price-call-tool";

export const metadata: Metadata = { title: "Price a call" };

// The tool reads ?deck= / ?customer= / ?buyDeck= / ?number= / ?billsec= to prefill its form.
export default function PriceCallPage() {
  return (
    <Suspense fallback={<PageHeader title="Price a call" />}>
      <PriceCallTool />
    </Suspense>
  );
}
