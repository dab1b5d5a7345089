import type { Metadata } from "next";
import { CustomerDetail } from "@/components/admin/customer-detail";

export const metadata: Metadata = { title: "Customer" };

export default async function CustomerPage({ params }: { params: Promise<{ customerId: string }> }) {
  const { customerId } = await params;
  // key: a fresh component (dialogs closed, state reset) when moving between customers.
  return <CustomerDetail key={customerId} customerId={customerId} />;
}
