import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditList } from "@/components/admin/audit-list";
import { ListPageFallback } from "@/components/admin/list-page-fallback";

export const metadata: Metadata = { title: "Audit log" };

export default function AuditPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Audit log" />}>
      <AuditList />
    </Suspense>
  );
}
