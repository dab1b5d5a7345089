"use client";

import type { ReactNode } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import { QueryError } from "@/components/admin/query-error";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { SkeletonText } from "@/components/ui/skeleton";

/**
 * A settings card whose form needs its query's answer: the card's frame with a retryable error
 * or a skeleton until then, so each card keeps its title and place while it loads or fails.
 */
export function QueriedSettingsCard<TData, TError>({
  query,
  title,
  titleId,
  what,
  skeletonLines,
  children,
}: {
  query: UseQueryResult<TData, TError>;
  title: string;
  titleId: string;
  /** What failed to load, for the error ("the dialling plan"). */
  what: string;
  skeletonLines: number;
  children: (data: TData) => ReactNode;
}) {
  if (query.data !== undefined && !query.isError) return <>{children(query.data)}</>;
  return (
    <Card aria-labelledby={titleId} aria-busy={query.isError ? undefined : "true"}>
      <CardHeader>
        <CardTitle id={titleId}>{title}</CardTitle>
      </CardHeader>
      {query.isError ? (
        <QueryError error={query.error} what={what} onRetry={() => void query.refetch()} />
      ) : (
        <CardContent>
          <SkeletonText lines={skeletonLines} />
        </CardContent>
      )}
    </Card>
  );
}
