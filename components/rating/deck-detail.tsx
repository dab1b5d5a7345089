"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { DeckFormDialog } from "@/components/rating/deck-form-dialog";
import { DeckKindBadge } from "@/components/rating/deck-kind-badge";
import { ImportRatesDialog } from "@/components/rating/import-rates-dialog";
import { plural, priceCallHref } from "@/components/rating/labels";
import { RatesTable } from "@/components/rating/rates-table";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CallsIcon, DownloadIcon, RatesIcon, UploadIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { RecordUnavailable } from "@/components/admin/record-unavailable";

const BREADCRUMB_ROOT = { label: "Rate decks", href: "/admin/rates" };

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex min-w-0 flex-col gap-0.5">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

/** One deck: its facts, its rates (keyset-paginated), import and export. */
export function DeckDetail({ deckId }: { deckId: string }) {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const deck = useQuery(trpc.rating.deck.queryOptions({ deckId }));
  const [editing, setEditing] = useState(false);
  // When the import dialog was opened (null: closed); its effective date starts there.
  const [importOpenedAt, setImportOpenedAt] = useState<Date | null>(null);

  if (deck.isPending) {
    return (
      <div aria-busy="true">
        <PageHeader title="Rate deck" breadcrumbs={[BREADCRUMB_ROOT, { label: "Deck" }]} />
        <Card>
          <CardContent>
            <div className="grid grid-cols-2 gap-4 sm:grid-cols-6">
              {Array.from({ length: 6 }, (_, index) => (
                <Skeleton key={index} className="h-9" />
              ))}
            </div>
          </CardContent>
        </Card>
        <span className="sr-only" role="status">
          Loading deck…
        </span>
      </div>
    );
  }

  if (deck.isError) {
    return (
      <RecordUnavailable
        title="Rate deck"
        parent={BREADCRUMB_ROOT}
        error={deck.error}
        what="the deck"
        onRetry={() => void deck.refetch()}
        notFound={{ icon: <RatesIcon />, title: "This rate deck does not exist", backLabel: "All rate decks" }}
      />
    );
  }

  const data = deck.data;
  const exportHref = `/api/decks/${encodeURIComponent(data.id)}/export`;

  return (
    <div>
      <PageHeader
        title={data.name}
        meta={<DeckKindBadge kind={data.kind} />}
        breadcrumbs={[BREADCRUMB_ROOT, { label: data.name }]}
        description={
          data.description ??
          (data.kind === "SELL"
            ? "Prices the calls of the customers and trunks that use it."
            : `The cost of calls through ${data.carrier?.name ?? "the carrier"}.`)
        }
        actions={
          <>
            <Link
              href={data.kind === "SELL" ? priceCallHref({ deck: data.id }) : priceCallHref()}
              className={buttonClassName("secondary")}
            >
              <CallsIcon />
              Price a call
            </Link>
            <a href={exportHref} download className={buttonClassName("secondary")}>
              <DownloadIcon />
              Export CSV
            </a>
            {access.canEdit ? (
              <>
                <Button onClick={() => setEditing(true)}>Edit deck</Button>
                <Button
                  variant="primary"
                  onClick={() => setImportOpenedAt(new Date())}
                >
                  <UploadIcon />
                  Import rates
                </Button>
              </>
            ) : null}
          </>
        }
      />

      <Card className="mb-4">
        <CardContent className="py-3">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-3 lg:grid-cols-6">
            <Fact label="Kind">{data.kind === "SELL" ? "Sell: prices customers" : "Buy: a carrier's cost"}</Fact>
            <Fact label="Carrier">{data.carrier ? data.carrier.name : <span className="text-slate-400">—</span>}</Fact>
            <Fact label="Currency">
              <span className="font-mono">{data.currency}</span>
            </Fact>
            <Fact label="Used by">
              {data.kind === "SELL" ? (
                `${plural(data._count.customers, "customer")}, ${plural(data._count.trunks, "trunk")}`
              ) : (
                <span className="text-slate-400">—</span>
              )}
            </Fact>
            <Fact label="Version">
              <span className="numeric" title="Bumped by every import that changes rates">
                v{data.version}
              </span>
            </Fact>
            <Fact label="Updated">
              <DateTime value={data.updatedAt} />
            </Fact>
          </dl>
        </CardContent>
      </Card>

      <RatesTable deckId={data.id} currency={data.currency} />

      {access.canEdit ? (
        <>
          <DeckFormDialog
            open={editing}
            onOpenChange={setEditing}
            deck={{
              id: data.id,
              name: data.name,
              kind: data.kind,
              carrierId: data.carrierId,
              currency: data.currency,
              description: data.description,
            }}
          />
          <ImportRatesDialog openedAt={importOpenedAt} onClose={() => setImportOpenedAt(null)} deck={{ id: data.id, name: data.name }} />
        </>
      ) : null}
    </div>
  );
}
