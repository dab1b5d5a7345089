"use client";

import type { ColumnDef } from "@tanstack/react-table";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { oneOf } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { DownloadIcon, WalletIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { buttonClassName } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { DownloadLink } from "@/components/ui/download-link";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import {
  LEDGER_KINDS,
  LEDGER_KIND_OPTIONS,
  dateInputEnd,
  dateInputStart,
  dateInputValue,
  ledgerExportQuery,
  ledgerKindLabel,
  type TLedgerPage,
  type TLedgerRow,
} from "@/components/wallet/labels";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";
import { ListFilterSelect } from "@/components/admin/list-filter-select";
import { useTimeZone } from "@/components/time/time-zone-provider";

/** Paging and filters (kind, from, to) of a ledger, kept in the URL like the other lists. */
export function useLedgerFilters() {
  const list = useListState({ sortIds: [], filterKeys: ["kind", "from", "to"] as const });
  const timeZone = useTimeZone();
  const kind = oneOf(list.filters.kind, LEDGER_KINDS);
  const from = dateInputStart(list.filters.from, timeZone);
  const to = dateInputEnd(list.filters.to, timeZone);
  return {
    list,
    /** The tenant's zone, the one the date inputs' days are in. */
    timeZone,
    kind,
    from,
    to,
    /** The query part of wallet.ledger / wallet.myLedger. */
    queryInput: { kind, from, to, page: list.page, pageSize: list.pageSize },
    exportQuery: ledgerExportQuery({ kind, from, to }),
  };
}

export type TLedgerFilters = ReturnType<typeof useLedgerFilters>;

/** Enough of a uuid to tell references apart at a glance; the whole one is in the tooltip. */
const SHORT_ID_LENGTH = 8;

function LedgerReference({ type, id }: { type: string; id: string | null }) {
  const full = id ? `${type} ${id}` : type;
  const shortId = id && id.length > SHORT_ID_LENGTH ? `${id.slice(0, SHORT_ID_LENGTH)}…` : id;
  return (
    <span className="block font-mono text-xs text-slate-500" title={full}>
      {type}
      {shortId ? ` ${shortId}` : null}
    </span>
  );
}

/**
 * `showReferences`: the internal record an entry came from (payment, CDR file, adjustment
 * ids), for staff who trace it. Staff read the memo; customers' rows carry no memo, only a
 * description the server wrote for them. `currency` is the page's: null only before the first
 * page, when there are no rows to show.
 */
function ledgerColumns(currency: string | null, options: { showActor: boolean; showReferences: boolean }): ColumnDef<TLedgerRow>[] {
  const columns: ColumnDef<TLedgerRow>[] = [
    {
      id: "createdAt",
      header: "Date",
      meta: { width: "1%" },
      cell: ({ row }) => <DateTime value={row.original.createdAt} />,
    },
    {
      id: "kind",
      header: "Type",
      meta: { width: "1%" },
      cell: ({ row }) => <Badge tone={row.original.amount >= 0n ? "success" : "neutral"}>{ledgerKindLabel(row.original.kind)}</Badge>,
    },
    {
      id: "memo",
      header: "Description",
      meta: { wrap: true },
      cell: ({ row }) => {
        const entry = row.original;
        if ("description" in entry) return <div className="min-w-48 text-slate-900">{entry.description}</div>;
        const reference = options.showReferences && entry.referenceType ? { type: entry.referenceType, id: entry.referenceId } : null;
        return (
          <div className="min-w-48">
            <span className="text-slate-900">{entry.memo ?? (reference ? null : "—")}</span>
            {reference ? <LedgerReference type={reference.type} id={reference.id} /> : null}
          </div>
        );
      },
    },
  ];
  if (options.showActor) {
    columns.push({
      id: "actor",
      header: "By",
      cell: ({ row }) => <span className="text-slate-600">{("actorEmail" in row.original ? row.original.actorEmail : null) ?? "System"}</span>,
    });
  }
  columns.push(
    {
      id: "amount",
      header: "Amount",
      meta: { align: "right" },
      cell: ({ row }) => (currency ? <Money micros={row.original.amount} currency={currency} tonePositive signPositive precision={LEDGER_PRECISION} /> : null),
    },
    {
      id: "balanceAfter",
      header: "Balance after",
      meta: { align: "right" },
      cell: ({ row }) => (currency ? <Money micros={row.original.balanceAfter} currency={currency} precision={LEDGER_PRECISION} /> : null),
    },
  );
  return columns;
}

/** A ledger page with its filters and a CSV export of the same filters; amounts in the currency the page came with. */
export function LedgerTable({
  label,
  filters,
  data,
  loading,
  error,
  onRetry,
  exportPath,
  showActor = false,
  showReferences = false,
}: {
  label: string;
  filters: TLedgerFilters;
  data: TLedgerPage | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  /** The CSV route; the table's filters are appended. */
  exportPath: string;
  /** Staff: who posted each entry. */
  showActor?: boolean;
  /** Staff: the internal record behind each entry (ids customers have no use for). */
  showReferences?: boolean;
}) {
  const { list, timeZone } = filters;
  const filtered = list.hasFilters;
  return (
    <DataTable<TLedgerRow>
      label={label}
      columns={ledgerColumns(data?.currency ?? null, { showActor, showReferences })}
      rows={data?.rows ?? []}
      total={data?.total ?? 0}
      {...list.pagingProps}
      loading={loading}
      getRowId={(row) => row.id.toString()}
      maxHeight={null}
      toolbar={
        <>
          <ListFilterSelect list={list} name="kind" label="Type filter" placeholder="All types" options={LEDGER_KIND_OPTIONS} className="w-40" />
          <label className="flex items-center gap-1.5 text-xs text-slate-600">
            From
            <Input
              type="date"
              size="sm"
              aria-label="From date"
              title={`Days start at midnight in ${timeZone}`}
              value={dateInputValue(list.filters.from, "from", timeZone)}
              max={dateInputValue(list.filters.to, "to", timeZone) || undefined}
              onChange={(event) => list.setFilter("from", event.target.value || null)}
              className="w-36"
            />
          </label>
          <label className="flex items-center gap-1.5 text-xs text-slate-600">
            To
            <Input
              type="date"
              size="sm"
              aria-label="To date"
              title={`Days end at midnight in ${timeZone}`}
              value={dateInputValue(list.filters.to, "to", timeZone)}
              min={dateInputValue(list.filters.from, "from", timeZone) || undefined}
              onChange={(event) => list.setFilter("to", event.target.value || null)}
              className="w-36"
            />
          </label>
          <ClearFiltersButton shown={filtered} onClear={list.clearFilters} />
          <DownloadLink href={`${exportPath}${filters.exportQuery}`} className={buttonClassName("secondary", "sm", "ml-auto")} failureMessage="Export failed">
            <DownloadIcon />
            Export CSV
          </DownloadLink>
        </>
      }
      emptyState={
        error ? (
          <QueryError error={error} what="transactions" onRetry={onRetry} />
        ) : filtered ? (
          <EmptyState compact title="No matching transactions" description="Try other dates or clear the filters." />
        ) : (
          <EmptyState compact icon={<WalletIcon />} title="No transactions yet" description="Top-ups, charges and adjustments appear here." />
        )
      }
    />
  );
}
