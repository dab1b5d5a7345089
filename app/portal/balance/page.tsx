import type { Metadata } from "next";
import { BalancePage } from "@/components/payments/balance-page";
import { requireCustomerUser } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Balance & payments" };

export default async function Balance({ searchParams }: { searchParams: Promise<{ cancelled?: string }> }) {
  const auth = await requireCustomerUser();
  const params = await searchParams;
  return <BalancePage cancelled={Boolean(params.cancelled)} canManageCards={auth.role === "CUSTOMER_ADMIN"} />;
}
