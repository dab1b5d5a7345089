import type { Metadata } from "next";
import { AdminOverview } from "@/components/dashboard/admin-overview";
import { requireTenantStaff } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Overview" };

export default async function AdminHome({ searchParams }: { searchParams: Promise<{ denied?: string }> }) {
  const auth = await requireTenantStaff();
  const { denied } = await searchParams;
  return <AdminOverview tenantName={auth.tenantName} denied={denied === "portal"} />;
}
