import type { Metadata } from "next";
import { PortalDashboard } from "@/components/dashboard/portal-dashboard";

export const metadata: Metadata = { title: "Dashboard" };

export default async function PortalHome({ searchParams }: { searchParams: Promise<{ denied?: string }> }) {
  const { denied } = await searchParams;
  return <PortalDashboard denied={denied === "admin"} />;
}
