"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { DeckFormDialog } from "@/components/rating/deck-form-dialog";
import { DeckKindBadge } from "@/components/rating/deck-kind-badge";
import { DECK_KINDS, deckHref, formatCount, oneOf } from "@/components/rating/labels";
import type { TDeckRow } from "@/components/rating/types";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CallsIcon, PlusIcon, RatesIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { ListFilterSelect } from "@/components/admin/list-filter-select";

const KIND_FILTER_OPTIONS = [
  { value: "SELL", label: "Sell decks" },
  { value: "BUY", label: "Buy decks" },
];

const columns: ColumnDef<TDeckRow>[] = [
  {
    id: "name",
    header: "Name",
    cell: ({ row }) => (
      <span className="flex min-w-0 flex-col">
        <Link href={deckHref(row.original.id)} className="font-medium text-brand-700 hover:underline">
          {row.original.name}
        </Link>
        {row.original.description ? (
          <span className="max-w-md truncate text-xs text-slate-500" title={row.original.description}>
            {row.original.description}
          </span>
        ) : null}
      </span>
    ),
  },
  {
    id: "kind",
    header: "Kind",
    meta: { width: "1%" },
    cell: ({ row }) => <DeckKindBadge kind={row.original.kind} />,
  },
  {
    id: "carrier",
    header: "Carrier",
    cell: ({ row }) =>
      row.original.carrier ? (
        <span className="text-slate-700">{row.original.carrier.name}</span>
      ) : (
        <span className="text-slate-400">—</span>
      ),
  },
  {
    id: "currency",
    header: "Currency",
    meta: { width: "1%" },
    cell: ({ row }) => <span className="font-mono text-xs">{row.original.currency}</span>,
  },
  {
    id: "rates",
    header: "Rates in force",
    meta: { align: "right" },
    cell: ({ row }) => (
      <span title={`${formatCount(row.original.rateCount)} versions in total, including closed ones`}>
        {formatCount(row.original.currentRateCount)}
        {row.original.rateCount !== row.original.currentRateCount ? (
          <span className="ml-1 text-xs text-slate-500">/ {formatCount(row.original.rateCount)}</span>
        ) : null}
      </span>
    ),
  },
  {
    id: "customers",
    header: "Customers",
    meta: { align: "right" },
    cell: ({ row }) => (row.original.kind === "SELL" ? formatCount(row.original._count.customers) : <span className="text-slate-400">—</span>),
  },
  {
    id: "trunks",
    header: "Trunks",
    meta: { align: "right" },
    cell: ({ row }) => (row.original.kind === "SELL" ? formatCount(row.original._count.trunks) : <span className="text-slate-400">—</span>),
  },
  {
    id: "version",
    header: "Version",
    meta: { align: "right" },
    cell: ({ row }) => `v${row.original.version}`,
  },
  {
    id: "updatedAt",
    header: "Updated",
    meta: { align: "right" },
    cell: ({ row }) => <DateTime value={row.original.updatedAt} />,
  },
];

/** All rate decks of the tenant; filtered and paged in the browser (a tenant has tens, not thousands). */
export function DecksList() {
  const trpc = useTRPC();
  const router = useRouter();
  const access = useStaffAccess();
  const list = useListState({ sortIds: [], filterKeys: ["kind"] as const });
  const kind = oneOf(list.filters.kind, DECK_KINDS);
  const [creating, setCreating] = useState(false);

  const decks = useQuery(trpc.rating.decks.queryOptions({ kind: null }));

  const needle = list.search.toLowerCase();
  const filtered = (decks.data ?? []).filter(
    (deck) =>
      (!kind || deck.kind === kind) &&
      (!needle ||
        deck.name.toLowerCase().includes(needle) ||
        (deck.carrier?.name.toLowerCase().includes(needle) ?? false) ||
        (deck.description?.toLowerCase().includes(needle) ?? false)),
  );
  const lastPage = Math.max(0, Math.ceil(filtered.length / list.pageSize) - 1);
  const page = Math.min(list.page, lastPage);
  const rows = filtered.slice(page * list.pageSize, (page + 1) * list.pageSize);

  return (
    <div>
      <PageHeader
        title="Rate decks"
        description="Sell decks price your customers' calls; buy decks hold each carrier's cost, so every call shows its margin."
        actions={
          <>
            <Link href="/admin/price-call" className={buttonClassName("secondary")}>
              <CallsIcon />
              Price a call
            </Link>
            {access.canEdit ? (
              <Button variant="primary" onClick={() => setCreating(true)}>
                <PlusIcon />
                New deck
              </Button>
            ) : null}
          </>
        }
      />

      <DataTable<TDeckRow>
        label="Rate decks"
        columns={columns}
        rows={rows}
        total={filtered.length}
        {...list.tableProps}
        page={page}
        searchPlaceholder="Search name, carrier…"
        loading={decks.isPending}
        getRowId={(row) => row.id}
        onRowClick={(row) => router.push(deckHref(row.id))}
        toolbar={
          <>
            <ListFilterSelect list={list} name="kind" label="Deck type filter" placeholder="All decks" options={KIND_FILTER_OPTIONS} className="w-32" />
            <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
          </>
        }
        emptyState={
          decks.isError ? (
            <QueryError error={decks.error} what="rate decks" onRetry={() => void decks.refetch()} />
          ) : list.hasFilters ? (
            <EmptyState compact title="No matching decks" description="Try another search or clear the filters." />
          ) : (
            <EmptyState
              compact
              icon={<RatesIcon />}
              title="No rate decks yet"
              description={
                access.canEdit
                  ? "Create a sell deck for your customers, then import its rates from a CSV file."
                  : "A tenant admin creates decks and imports their rates."
              }
              action={
                access.canEdit ? (
                  <Button size="sm" variant="primary" onClick={() => setCreating(true)}>
                    <PlusIcon />
                    Create your first deck
                  </Button>
                ) : undefined
              }
            />
          )
        }
      />

      <DeckFormDialog
        open={creating}
        onOpenChange={setCreating}
        defaultKind={kind ?? "SELL"}
        onSaved={(deck) => router.push(deckHref(deck.id))}
      />
    </div>
  );
}
