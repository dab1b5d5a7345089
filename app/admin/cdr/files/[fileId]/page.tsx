import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { CdrFileDetail } from "@/components/cdr/files/file-detail";

export const metadata: Metadata = { title: "CDR file" };

export default async function CdrFilePage({ params }: { params: Promise<{ fileId: string }> }) {
  const { fileId } = await params;
  return (
    <Suspense fallback={<ListPageFallback title="CDR file" />}>
      <CdrFileDetail key={fileId} fileId={fileId} />
    </Suspense>
  );
}
