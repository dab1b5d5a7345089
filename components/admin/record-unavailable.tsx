"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { QueryError } from "@/components/admin/query-error";
import { errorCodeOf } from "@/components/trpc/errors";
import { buttonClassName } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader, type Breadcrumb } from "@/components/ui/page-header";

/**
 * The page of one record (a customer, a deck, a CDR file…) when the record did not load. A
 * link to something that does not exist, or to another tenant's record, gets "not found" and
 * a way back (NOT_FOUND, or BAD_REQUEST for an id that is not one); any other failure gets
 * its message and a retry.
 */
export function RecordUnavailable({
  title,
  parent,
  error,
  invalidId = false,
  what,
  onRetry,
  notFound,
}: {
  /** The page's title when the record is there, e.g. "CDR file". */
  title: string;
  /** The list the record belongs to: the first breadcrumb and the way back. */
  parent: Required<Breadcrumb>;
  error: unknown;
  /** The id in the link is not even well formed: not found without asking the server. */
  invalidId?: boolean;
  /** e.g. "this CDR file" → "Could not load this CDR file". */
  what: string;
  onRetry: () => void;
  /** The way back defaults to the parent list. */
  notFound: { icon: ReactNode; title: string; description?: string; backLabel: string; backHref?: string };
}) {
  const code = errorCodeOf(error);
  const missing = invalidId || code === "NOT_FOUND" || code === "BAD_REQUEST";
  return (
    <div>
      <PageHeader title={missing ? `${title} not found` : title} breadcrumbs={[parent, { label: missing ? "Not found" : title }]} />
      <Card>
        {missing ? (
          <EmptyState
            icon={notFound.icon}
            title={notFound.title}
            description={notFound.description ?? "It may have been removed, belong to another tenant, or the link is wrong."}
            action={
              <Link href={notFound.backHref ?? parent.href} className={buttonClassName("secondary")}>
                {notFound.backLabel}
              </Link>
            }
          />
        ) : (
          <QueryError error={error} what={what} onRetry={onRetry} />
        )}
      </Card>
    </div>
  );
}
