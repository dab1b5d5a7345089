"use client";

import type { ReactNode } from "react";
import { messageOf, errorCodeOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

/** What to show instead of data when a query failed (inside a card or a table). */
export function QueryError({
  error,
  what,
  onRetry,
  action,
}: {
  error: unknown;
  /** e.g. "customers" → "Could not load customers". */
  what: string;
  onRetry?: () => void;
  action?: ReactNode;
}) {
  const forbidden = errorCodeOf(error) === "FORBIDDEN";
  return (
    <EmptyState
      compact
      title={forbidden ? `You cannot view ${what}` : `Could not load ${what}`}
      description={forbidden ? "Your role does not allow this. Ask a tenant admin." : messageOf(error)}
      action={
        action ??
        (onRetry && !forbidden ? (
          <Button size="sm" onClick={onRetry}>
            Try again
          </Button>
        ) : undefined)
      }
    />
  );
}
