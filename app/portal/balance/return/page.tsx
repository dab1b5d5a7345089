import type { Metadata } from "next";
import { TopUpReturn } from "@/components/payments/top-up-return";

export const metadata: Metadata = { title: "Card payment" };

export default async function TopUpReturnPage({ searchParams }: { searchParams: Promise<{ payment?: string }> }) {
  const params = await searchParams;
  const paymentId = typeof params.payment === "string" && /^[0-9a-f-]{36}$/i.test(params.payment) ? params.payment : null;
  return <TopUpReturn paymentId={paymentId} />;
}
