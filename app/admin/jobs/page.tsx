import type { Metadata } from "next";
import { Suspense } from "react";
import { JobsList } from "@/components/admin/jobs-list";
import { ListPageFallback } from "@/components/admin/list-page-fallback";

export const metadata: Metadata = { title: "Jobs" };

export default function JobsPage() {
  return (
    <Suspense fallback={<ListPageFallback title="Jobs" />}>
      <JobsList />
    </Suspense>
  );
}
