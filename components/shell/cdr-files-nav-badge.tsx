"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";

/**
 * How often the menu asks again. It is on every admin page, so it stays cheap: one count on a
 * partial index per minute (and on focus); a release, dismissal or retry refreshes it at once.
 */
const REFRESH_MS = 60_000;

/** Held and failed CDR files, on the "CDR files" menu item: their calls are not billed until an admin acts. */
export function CdrFilesNavBadge() {
  const trpc = useTRPC();
  const counts = useQuery({ ...trpc.cdrFiles.needingAttention.queryOptions(), staleTime: REFRESH_MS, refetchInterval: REFRESH_MS });
  const held = counts.data?.held ?? 0;
  const failed = counts.data?.failed ?? 0;
  if (held + failed === 0) return null;
  const label = [held > 0 ? `${held} held for review` : null, failed > 0 ? `${failed} failed` : null].filter(Boolean).join(", ");
  return (
    <Badge tone={failed > 0 ? "danger" : "warning"} title={label}>
      {held + failed}
      <span className="sr-only"> ({label})</span>
    </Badge>
  );
}
