import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";

/** Shown while a list page's client component waits for the URL (Suspense fallback). */
export function ListPageFallback({ title, description }: { title: string; description?: ReactNode }) {
  return (
    <div>
      <PageHeader title={title} description={description} />
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs" aria-busy="true">
        <div className="border-b border-slate-200 px-3 py-2">
          <Skeleton className="h-8 w-64" />
        </div>
        <div className="flex flex-col gap-3 p-4">
          {Array.from({ length: 6 }, (_, index) => (
            <Skeleton key={index} className="h-4 w-full" />
          ))}
        </div>
      </div>
    </div>
  );
}
