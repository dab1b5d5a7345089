import type { Metadata } from "next";
import { TenantSettings } from "@/components/settings/tenant-settings";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return <TenantSettings />;
}
