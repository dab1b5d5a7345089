import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { CdrFilesList } from "@/components/cdr/files/files-list";

export const metadata: Metadata = { title: "CDR files" };

export default function CdrFilesPage() {
  return (
    <Suspense fallback={<ListPageFallback title="CDR files" />}>
      <CdrFilesList />
    </Suspense>
  );
}
