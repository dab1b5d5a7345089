import type { Metadata } from "next";
import { PortalStatements } from "@/components/wallet/portal-statements";

export const metadata: Metadata = { title: "Statements" };

export default function StatementsPage() {
  return <PortalStatements />;
}
