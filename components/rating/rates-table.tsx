"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useId, useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { replaceSearchParams } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import {
  CATEGORY_OPTIONS,
  RATE_CATEGORIES,
  categoryLabel,
  formatCount,
  formatIncrements,
  formatRate,
  oneOf,
} from "@/components/rating/labels";
import type { TRateRow } from "@/components/rating/types";
import { RatesIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { EffectiveDateTime } from "@/components/time/effective-date-time";
import { instantFromDateInput } from "@/components/time/wall-time";

const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_PAGE_SIZE = 50;
/** DataTable reports page ± 1 in cursor mode; we pin the current page here and read the direction. */
const PIVOT_PAGE = 1;

type TCursor = { prefix: string; effectiveFrom: Date; id: string; direction: "after" | "before" };

// A keyset cursor in the URL: "<prefix>~<ISO instant>~<id>", under ?after= or ?before=.
function encodeCursor(row: Pick<TRateRow, "prefix" | "effectiveFrom" | "id">): string {
  return `${row.prefix}~${row.effectiveFrom.toISOString()}~${row.id}`;
}

function decodeCursor(value: string | null, direction: "after" | "before"): TCursor | null {
  if (!value) return null;
  const [prefix, instant, id, extra] = value.split("~");
  if (extra !== undefined || !prefix || !instant || !id || !/^\d+$/.test(id)) return null;
  const effectiveFrom = new Date(instant);
  if (Number.isNaN(effectiveFrom.getTime())) return null;
  return { prefix, effectiveFrom, id, direction };
}

function validityOf(rate: TRateRow, at: Date): "IN_FORCE" | "SCHEDULED" | "CLOSED" {
  if (rate.effectiveFrom > at) return "SCHEDULED";
  if (rate.effectiveTo && rate.effectiveTo <= at) return "CLOSED";
  return "IN_FORCE";
}

function ValidityBadge({ validity }: { validity: "IN_FORCE" | "SCHEDULED" | "CLOSED" }) {
  if (validity === "SCHEDULED") return <Badge tone="info">Scheduled</Badge>;
  if (validity === "CLOSED") return <Badge tone="neutral">Closed</Badge>;
  return (
    <Badge tone="success" dot>
      In force
    </Badge>
  );
}

function rateColumns(currency: string, at: Date): ColumnDef<TRateRow>[] {
  return [
    {
      id: "prefix",
      header: "Prefix",
      meta: { width: "1%" },
      cell: ({ row }) => <span className="font-mono text-xs font-medium text-slate-900">{row.original.prefix}</span>,
    },
    {
      id: "description",
      header: "Destination",
      // Wraps rather than truncates: the one column that can give way, so the dates and the
      // validity stay on screen at 1366 px.
      meta: { wrap: true },
      cell: ({ row }) => row.original.description || <span className="text-slate-400">—</span>,
    },
    {
      id: "category",
      header: "Category",
      cell: ({ row }) => <span className="text-slate-600">{categoryLabel(row.original.category)}</span>,
    },
    {
      id: "rate",
      header: "Rate / min",
      meta: { align: "right" },
      cell: ({ row }) => <span className="font-medium">{formatRate(row.original.ratePerMinuteMicros, currency)}</span>,
    },
    {
      id: "connectFee",
      header: "Connect fee",
      meta: { align: "right" },
      cell: ({ row }) =>
        row.original.connectFeeMicros === 0n ? (
          <span className="text-slate-400">—</span>
        ) : (
          formatRate(row.original.connectFeeMicros, currency)
        ),
    },
    {
      id: "increments",
      header: () => <span title="Initial / subsequent billing increment, in seconds">Increments</span>,
      meta: { align: "right" },
      cell: ({ row }) => formatIncrements(row.original.initialIncrement, row.original.increment),
    },
    {
      id: "grace",
      header: () => <span title="Calls this long or shorter are free">Grace</span>,
      meta: { align: "right" },
      cell: ({ row }) => (row.original.graceSeconds ? `${row.original.graceSeconds} s` : <span className="text-slate-400">—</span>),
    },
    // Rates take effect at midnight almost always (deck dates are read in the tenant's zone by
    // default): the date alone then, the time only when it says something, and the deck's own
    // UTC date beside it when the file's dates were read as UTC (formatEffectiveDate).
    {
      id: "effectiveFrom",
      header: "Effective from",
      meta: { align: "right" },
      cell: ({ row }) => <EffectiveDateTime value={row.original.effectiveFrom} />,
    },
    {
      id: "effectiveTo",
      header: "Effective to",
      meta: { align: "right" },
      cell: ({ row }) =>
        row.original.effectiveTo ? <EffectiveDateTime value={row.original.effectiveTo} /> : <span className="text-slate-500">Open-ended</span>,
    },
    {
      id: "validity",
      header: () => <span className="sr-only">Validity</span>,
      meta: { width: "1%" },
      cell: ({ row }) => <ValidityBadge validity={validityOf(row.original, at)} />,
    },
  ];
}

/**
 * The rates of one deck, keyset-paginated (a deck may hold millions of rows): "Next" continues
 * after the last row shown, "Previous" goes back before the first. Search, category, the
 * "effective on" date, the page size and the cursor live in the URL, so a page is linkable.
 */
export function RatesTable({ deckId, currency }: { deckId: string; currency: string }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const effectiveOnId = useId();
  const [now] = useState(() => new Date());
  const timeZone = useTimeZone();

  const search = (searchParams.get("q") ?? "").slice(0, 100);
  const category = oneOf(searchParams.get("category"), RATE_CATEGORIES);
  const onParam = searchParams.get("on") ?? "";
  const effectiveOn = instantFromDateInput(onParam, timeZone);
  const sizeParam = Number.parseInt(searchParams.get("size") ?? "", 10);
  const pageSize = (PAGE_SIZES as readonly number[]).includes(sizeParam) ? sizeParam : DEFAULT_PAGE_SIZE;
  const cursor = decodeCursor(searchParams.get("after"), "after") ?? decodeCursor(searchParams.get("before"), "before");
  const filtered = search !== "" || category !== null || effectiveOn !== null;

  // Any change but paging starts again from the first page.
  const update = (changes: Record<string, string | null>) =>
    replaceSearchParams({ after: null, before: null, ...changes }, pathname);

  const rates = useQuery({
    ...trpc.rating.rates.queryOptions({ deckId, search, category, effectiveOn, pageSize, cursor }),
    placeholderData: keepPreviousData,
  });
  const data = rates.data;
  const rows = data?.rows ?? [];

  const goTo = (page: number) => {
    if (page > PIVOT_PAGE) {
      const last = rows[rows.length - 1];
      if (last) update({ after: encodeCursor(last) });
    } else {
      const first = rows[0];
      if (first) update({ before: encodeCursor(first) });
    }
  };

  // Keyset pages do not know their offset, except the first page and (with an exact count) the
  // last; a page in between shows its row count against the total instead of a range.
  const firstRowIndex = !data
    ? null
    : !data.hasPreviousPage
      ? 0
      : !data.hasNextPage && !data.totalIsLowerBound
        ? Math.max(0, data.total - rows.length)
        : null;

  const countText = !data
    ? null
    : data.totalIsLowerBound
      ? `≈ ${formatCount(data.total)}+ rates`
      : `${formatCount(data.total)} ${data.total === 1 ? "rate" : "rates"}`;

  return (
    <DataTable<TRateRow>
      label="Rates"
      columns={rateColumns(currency, effectiveOn ?? now)}
      rows={rows}
      total={data?.total ?? null}
      totalIsLowerBound={data?.totalIsLowerBound ?? false}
      firstRowIndex={firstRowIndex}
      page={PIVOT_PAGE}
      pageSize={pageSize}
      pageSizeOptions={PAGE_SIZES}
      hasNextPage={data?.hasNextPage ?? false}
      hasPreviousPage={data?.hasPreviousPage ?? false}
      onPageChange={goTo}
      onPageSizeChange={(size) => update({ size: size === DEFAULT_PAGE_SIZE ? null : String(size) })}
      search={search}
      onSearchChange={(value) => update({ q: value.trim() })}
      searchPlaceholder="Prefix digits or destination…"
      loading={rates.isFetching}
      getRowId={(row) => row.id}
      rowClassName={(row) => (validityOf(row, effectiveOn ?? now) === "CLOSED" ? "text-slate-500 [&_td]:text-slate-500" : undefined)}
      toolbar={
        <>
          {countText ? (
            <span
              className="numeric mr-auto text-xs text-slate-600"
              title={data?.totalIsLowerBound ? "Counted up to 10,000; narrow the search for an exact count" : undefined}
            >
              {countText}
              {filtered ? " match" : ""}
            </span>
          ) : null}
          <Select
            size="sm"
            aria-label="Category"
            value={category ?? ""}
            onChange={(event) => update({ category: event.target.value || null })}
            placeholder="All categories"
            options={CATEGORY_OPTIONS}
            className="w-36"
          />
          <div className="flex items-center gap-1.5">
            <label htmlFor={effectiveOnId} className="text-xs whitespace-nowrap text-slate-600">
              Effective on
            </label>
            <Input
              id={effectiveOnId}
              type="date"
              size="sm"
              value={effectiveOn ? onParam : ""}
              onChange={(event) => update({ on: event.target.value || null })}
              title={`Only the versions in force at 00:00 on this day in ${timeZone}`}
              className="w-36"
            />
          </div>
          <ClearFiltersButton shown={filtered} onClear={() => update({ q: null, category: null, on: null })} />
        </>
      }
      emptyState={
        rates.isError ? (
          <QueryError error={rates.error} what="rates" onRetry={() => void rates.refetch()} />
        ) : filtered ? (
          <EmptyState
            compact
            title="No matching rates"
            description={
              /^\+?\d+$/.test(search)
                ? `No prefix starts with ${search.replace("+", "")} under these filters.`
                : "Try another search or clear the filters."
            }
          />
        ) : (
          <EmptyState
            compact
            icon={<RatesIcon />}
            title="No rates yet"
            description="Import a CSV file to load this deck's rates."
          />
        )
      }
    />
  );
}
