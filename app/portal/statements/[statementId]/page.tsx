import type { Metadata } from "next";
import { StatementView } from "@/components/wallet/statement-view";

export const metadata: Metadata = { title: "Statement" };

export default async function StatementPage({ params }: { params: Promise<{ statementId: string }> }) {
  const { statementId } = await params;
  return <StatementView key={statementId} statementId={statementId} />;
}
