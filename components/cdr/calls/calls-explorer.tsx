"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState, type ReactNode } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf } from "@/components/trpc/errors";
import type { TRouterOutputs } from "@/components/admin/types";
import { QueryError } from "@/components/admin/query-error";
import { CallsIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";
import { Stat } from "@/components/ui/stat";
import { StatusBadge, statusLabel } from "@/components/ui/status-badge";
import { CallsTimeline } from "./calls-timeline";
import { ExportCsvButton } from "./export-button";
import { formatInstantFull, formatInstantParts } from "@/components/time/format-instant";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { dayOf } from "@/components/time/wall-time";
import { customRangeError, RANGE_PRESETS, rangeFor, type TRangePreset } from "./range-presets";
import { customerLabel } from "@/components/admin/format";
import { withSelected } from "@/components/ui/with-selected";
import { fileHref } from "@/components/cdr/files/types";
import { reasonTitle } from "@/components/cdr/unbillable/types";
import { NO_CUSTOMER } from "@/server/cdr/search-rules";

export type TCallsAudience = "admin" | "customer";
type TCallRow = TRouterOutputs["cdrs"]["search"]["rows"][number];

const PAGE_SIZE = 50;
const STATUSES = ["RATED", "UNANSWERED", "UNBILLABLE"] as const;
const CATEGORIES = ["LOCAL", "LONG_DISTANCE", "TOLL_FREE", "INTERNATIONAL", "MOBILE", "PREMIUM", "OTHER"] as const;
type TPage = { index: number; cursor: string | null; direction: "next" | "previous" };
const FIRST_PAGE: TPage = { index: 0, cursor: null, direction: "next" };
type TTextKey = "customerId" | "trunkId" | "caller" | "callee" | "category" | "status" | "sourceId" | "fileId" | "accountCode" | "unbillableReason";
const numberFormat = new Intl.NumberFormat("en-US");
const NO_BUY_COST_FOR_CALL = "No buy rate or cost is known for this call: its CDR source has no cost deck, or the deck has no rate for the number.";
const NO_BUY_COST_FOR_CALLS = "No buy rate or cost is known for these calls: their CDR source has no cost deck, or the deck has no rate for the numbers.";
// Customers never read "Unbillable" (nor the carrier's reason, which their rows do not carry): it
// reads as "free", yet the call is charged once a rate is found and it is re-rated.
const BEING_PRICED = "Being priced";
const BEING_PRICED_NOTE = "This call has no price yet. It may still be charged once it is priced.";

function isPreset(value: string | null): value is TRangePreset {
  return RANGE_PRESETS.some((preset) => preset.value === value);
}

function statusName(status: string, audience: TCallsAudience): string {
  return audience === "customer" && status === "UNBILLABLE" ? BEING_PRICED : statusLabel(status);
}

function CallStatus({ row, audience }: { row: TCallRow; audience: TCallsAudience }) {
  if (audience === "customer" && row.status === "UNBILLABLE") {
    return (
      <span className="block leading-tight" title={BEING_PRICED_NOTE}>
        <Badge tone="info" dot>
          {BEING_PRICED}
        </Badge>
        <span className="block text-xs text-slate-500">May still be charged</span>
      </span>
    );
  }
  return (
    <span className="block leading-tight">
      <StatusBadge status={row.status} />
      {row.unbillableReason ? <span className="block text-xs text-slate-500">{row.unbillableReason}</span> : null}
    </span>
  );
}

function ratedCalls(count: number): string {
  return `${numberFormat.format(count)} rated ${count === 1 ? "call" : "calls"}`;
}

function seconds(value: number | null): string {
  if (value === null) return "—";
  const minutes = Math.floor(value / 60);
  return `${minutes}:${String(value % 60).padStart(2, "0")}`;
}

/** A filter that a link sets and the form has no control for (a file, an account code): shown, and removable. */
function FilterChip({ label, value, title, clearLabel, onClear, mono = false }: { label: string; value: ReactNode; title?: string; clearLabel: string; onClear: () => void; mono?: boolean }) {
  return (
    <FormField label={label}>
      <span className={`flex h-7 max-w-64 items-center gap-1 rounded-md bg-slate-100 px-2 text-xs text-slate-700 ${mono ? "font-mono" : ""}`} title={title}>
        <span className="truncate">{value}</span>
        <button type="button" className="ml-1 text-slate-500 hover:text-slate-900" aria-label={clearLabel} onClick={onClear}>
          ×
        </button>
      </span>
    </FormField>
  );
}

/** One filter input applied on Enter or when it loses focus (not on every key: searches are server-side). */
function CommitInput({ value, onCommit, ...props }: { value: string; onCommit: (value: string) => void } & Omit<Parameters<typeof Input>[0], "value" | "onChange">) {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setDraft(value);
  }
  return (
    <Input
      {...props}
      size="sm"
      value={draft}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={() => draft !== value && onCommit(draft.trim())}
      onKeyDown={(event) => event.key === "Enter" && onCommit(draft.trim())}
    />
  );
}

/**
 * Calls (CDR search) for tenant staff and for a customer's own users: filters in the URL (so the
 * CDR files page can link with ?fileId=), keyset pages, totals for the whole filter and a streamed
 * CSV export. Customers never see cost, margin, customers, sources or files.
 */

/** A header of two lines, for a column whose cells stack two values (time over date, …). */
function StackedHeader({ top, bottom, title, muted = false }: { top: string; bottom: string; title?: string; muted?: boolean }) {
  return (
    <span className="block leading-tight" title={title}>
      {top}
      <span className={muted ? "block font-normal text-slate-500" : "block font-normal"}>{bottom}</span>
    </span>
  );
}

export function CallsExplorer({ audience }: { audience: TCallsAudience }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const admin = audience === "admin";
  // Rolling ranges ("last 7 days") are anchored when chosen or refreshed, so the query key is stable.
  const [now, setNow] = useState(() => new Date());
  const [page, setPage] = useState<TPage>(FIRST_PAGE);

  const options = useQuery(admin ? trpc.cdrs.filterOptions.queryOptions() : trpc.cdrs.portalFilterOptions.queryOptions());
  const timeZone = useTimeZone();
  const currency = options.data?.tenant.currency ?? "USD";

  const preset: TRangePreset = isPreset(params.get("range")) ? (params.get("range") as TRangePreset) : "7d";
  const fromDay = params.get("fromDay") ?? "";
  const toDay = params.get("toDay") ?? "";
  const text = (key: TTextKey) => params.get(key) ?? "";
  const range = rangeFor(preset, now, timeZone, fromDay || undefined, toDay || undefined);
  const rangeError = preset === "custom" ? customRangeError(fromDay, toDay, timeZone) : null;
  // Nothing is searched while the range is invalid: dropping it instead would widen the list,
  // totals and export to every call without saying so. Numbers are read (and refused) by the
  // server with the tenant's dialling plan, and its field errors show under their fields.
  const inputError = rangeError?.message ?? null;

  const filter = {
    from: range?.from,
    to: range?.to,
    customerId: admin ? text("customerId") || null : null,
    trunkId: text("trunkId") || null,
    caller: text("caller") || null,
    calleePrefix: text("callee") || null,
    category: text("category") || null,
    status: text("status") || null,
    sourceId: admin ? text("sourceId") || null : null,
    fileId: admin ? text("fileId") || null : null,
    // Staff only: the portal's search refuses them.
    accountCode: admin ? text("accountCode") || null : null,
    unbillableReason: admin ? text("unbillableReason") || null : null,
  };
  // Options kept from an earlier load still serve when a refetch fails.
  const ready = options.data !== undefined && range !== null && !inputError;

  const searchInput = { filter, cursor: page.cursor, direction: page.direction, limit: PAGE_SIZE };
  const search = useQuery({
    ...(admin ? trpc.cdrs.search.queryOptions(searchInput) : trpc.cdrs.portalSearch.queryOptions(searchInput)),
    enabled: ready,
    placeholderData: keepPreviousData,
  });
  const totals = useQuery({
    ...(admin ? trpc.cdrs.totals.queryOptions({ filter }) : trpc.cdrs.portalTotals.queryOptions({ filter })),
    enabled: ready,
  });
  const timeline = useQuery({
    ...(admin ? trpc.cdrs.timeline.queryOptions({ filter }) : trpc.cdrs.portalTimeline.queryOptions({ filter })),
    enabled: ready,
  });
  const serverErrors = fieldErrorsOf(search.error);
  // The router validates its input as { filter }: a range it refuses comes back as "filter.from".
  const serverRangeErrors = { from: serverErrors["filter.from"] ?? serverErrors.from, to: serverErrors["filter.to"] ?? serverErrors.to };
  // A number or a range the server refused: the same "fix the filter" states as a bad range here.
  const filterError =
    inputError ?? serverErrors.caller?.[0] ?? serverErrors.calleePrefix?.[0] ?? serverRangeErrors.from?.[0] ?? serverRangeErrors.to?.[0] ?? null;
  // keepPreviousData shows the last results until the requested ones arrive; with an invalid
  // filter they would pass for its results.
  const shown = filterError ? undefined : search.data;
  // Until then their cursors belong to the previous filter or page: paging from them would skip
  // rows (new filter, old cursor) or request the same page twice.
  const pagingLocked = !ready || search.isPlaceholderData || search.isFetching;

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setPage(FIRST_PAGE);
    setNow(new Date());
    const query = next.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  };

  const exportQuery = new URLSearchParams();
  if (range) {
    exportQuery.set("from", range.from.toISOString());
    exportQuery.set("to", range.to.toISOString());
  }
  for (const [key, value] of Object.entries(filter)) {
    if (key !== "from" && key !== "to" && typeof value === "string" && value) exportQuery.set(key, value);
  }
  const exportHref = `${admin ? "/api/cdrs/export" : "/api/portal/cdrs/export"}?${exportQuery.toString()}`;

  const trunks = (options.data?.trunks ?? []).filter((trunk) => !admin || !filter.customerId || trunk.customerId === filter.customerId);
  // The choices are capped (and trunks narrowed to the chosen customer): a customer or trunk from
  // a link may be missing from them, and its name is then asked for on its own.
  const unlisted = (value: string | null, listed: { id: string }[] | undefined) => (value && listed && !listed.some((item) => item.id === value) ? value : null);
  // A file has no list of choices: its chip asks for its name.
  const selectionInput = {
    customerId: filter.customerId === NO_CUSTOMER ? null : unlisted(filter.customerId, options.data?.customers),
    trunkId: unlisted(filter.trunkId, options.data?.trunks),
    fileId: filter.fileId,
  };
  const selection = useQuery({
    ...(admin ? trpc.cdrs.filterSelection.queryOptions(selectionInput) : trpc.cdrs.portalFilterSelection.queryOptions(selectionInput)),
    enabled: selectionInput.customerId !== null || selectionInput.trunkId !== null || selectionInput.fileId !== null,
  });
  const selectedCustomer = selection.data?.customer;
  const selectedFileName = selection.data?.file?.fileName;
  const selectedTrunkName = (options.data?.trunks.find((trunk) => trunk.id === filter.trunkId) ?? selection.data?.trunk)?.name;

  // Thirteen columns do not fit a 1366 px window: time over date, caller over callee, trunk under
  // customer, billed under talk time and the matched prefix in the category's tooltip keep Price,
  // Cost and Status on screen.
  const columns: ColumnDef<TCallRow>[] = [
    {
      id: "startAt",
      header: () => <StackedHeader top="Start" bottom={timeZone} muted />,
      meta: { width: "1%" },
      cell: ({ row }) => {
        const { date, time } = formatInstantParts(row.original.startAt, timeZone, "precise");
        return (
          <time dateTime={row.original.startAt.toISOString()} title={formatInstantFull(row.original.startAt, timeZone)} className="numeric block leading-tight">
            {time}
            <span className="block text-xs text-slate-500">{date}</span>
          </time>
        );
      },
    },
    {
      id: "parties",
      header: () => <StackedHeader top="Caller" bottom="→ Callee" />,
      cell: ({ row }) => (
        <span className="block font-mono text-xs leading-tight">
          <span className="block text-slate-600">{row.original.caller}</span>
          <span className="block text-slate-900">
            <span className="sr-only">to </span>
            <span aria-hidden="true" className="text-slate-400">→ </span>
            {row.original.callee}
          </span>
        </span>
      ),
    },
    ...(admin
      ? ([
          {
            id: "customer",
            header: () => <StackedHeader top="Customer" bottom="Trunk" />,
            cell: ({ row }) => (
              <span className="block max-w-44 leading-tight">
                {row.original.customerName ? (
                  <span className="block truncate" title={[row.original.customerName, row.original.customerAccount].filter(Boolean).join(" · ")}>
                    {row.original.customerName}
                  </span>
                ) : row.original.accountCode ? (
                  <span className="block truncate text-slate-500" title="No customer owns this account code">
                    ? {row.original.accountCode}
                  </span>
                ) : (
                  <span className="block text-slate-400">—</span>
                )}
                {row.original.trunkName ? (
                  <span className="block truncate text-xs text-slate-500" title={`Trunk ${row.original.trunkName}`}>
                    {row.original.trunkName}
                  </span>
                ) : null}
              </span>
            ),
          },
        ] satisfies ColumnDef<TCallRow>[])
      : ([
          {
            id: "trunk",
            header: "Trunk",
            cell: ({ row }) =>
              row.original.trunkName ? (
                <span className="block max-w-44 truncate" title={row.original.trunkName}>
                  {row.original.trunkName}
                </span>
              ) : (
                <span className="text-slate-400">—</span>
              ),
          },
        ] satisfies ColumnDef<TCallRow>[])),
    {
      id: "duration",
      header: () => (
        <StackedHeader
          top="Duration / talk"
          bottom="Billed"
          title="Call duration / talk time (billsec) in minutes:seconds, and the seconds billed after the rate's increments and grace"
        />
      ),
      meta: { align: "right" },
      cell: ({ row }) => (
        <span className="block leading-tight">
          <span className="block" title={`${row.original.duration ?? "?"} s total, ${row.original.billsec} s talk`}>
            {seconds(row.original.duration)} / {seconds(row.original.billsec)}
          </span>
          {row.original.billedSeconds === null ? null : (
            <span className="block text-xs text-slate-500">{numberFormat.format(row.original.billedSeconds)} s billed</span>
          )}
        </span>
      ),
    },
    {
      id: "category",
      header: "Category",
      cell: ({ row }) =>
        row.original.category ? (
          <span title={row.original.matchedPrefix ? `Rated by prefix ${row.original.matchedPrefix}` : undefined}>{statusLabel(row.original.category)}</span>
        ) : (
          <span className="text-slate-400">—</span>
        ),
    },
    { id: "price", header: "Price", meta: { align: "right" }, cell: ({ row }) => <Money micros={row.original.price} currency={currency} precision={4} /> },
    ...(admin
      ? ([
          {
            id: "cost",
            header: "Cost",
            meta: { align: "right" },
            cell: ({ row }) =>
              row.original.cost === null && row.original.status === "RATED" ? (
                <span title={NO_BUY_COST_FOR_CALL}>
                  <Money micros={null} currency={currency} />
                </span>
              ) : (
                <Money micros={row.original.cost} currency={currency} precision={4} />
              ),
          },
        ] satisfies ColumnDef<TCallRow>[])
      : []),
    {
      id: "status",
      header: "Status",
      cell: ({ row }) => <CallStatus row={row.original} audience={audience} />,
    },
    // Where a disputed call came from: the carrier's file and its line (customers get neither).
    ...(admin
      ? ([
          {
            id: "file",
            header: () => <StackedHeader top="File" bottom="Line" />,
            cell: ({ row }) => {
              const { fileId, fileName, line } = row.original;
              if (!fileId) return <span className="text-slate-400">—</span>;
              const name = fileName ?? `${fileId.slice(0, 8)}…`;
              return (
                <span className="block max-w-32 leading-tight">
                  <Link href={fileHref(fileId)} className="block truncate text-brand-700 hover:underline" title={`${name}, line ${line}`}>
                    {name}
                  </Link>
                  <span className="block text-xs text-slate-500">line {line}</span>
                </span>
              );
            },
          },
        ] satisfies ColumnDef<TCallRow>[])
      : []),
  ];

  // A value from the URL that the choices lack stays shown (by name when known, else by id):
  // the select would otherwise read "All" while the calls are filtered by it.
  const select = (key: TTextKey, label: string, choices: { value: string; label: string }[], placeholder: string, selectedName?: string): ReactNode => {
    const value = text(key);
    const shownChoices = withSelected(choices, value ? { value, label: selectedName ?? `${label} ${value.slice(0, 8)}…` } : null, (choice) => choice.value);
    return (
      <FormField label={label} className="min-w-36">
        <Select size="sm" value={value} onChange={(event) => update({ [key]: event.target.value || null })} placeholder={placeholder} options={shownChoices} />
      </FormField>
    );
  };

  const t = totals.data;
  // An invalid filter runs no query, or one that fails: there is nothing to wait for.
  const totalsLoading = !t && !filterError;
  // The totals sum the known costs and count 0 when there are none: with no rated call costed,
  // "$0.00" would read as break-even, so cost and margin are shown as unknown instead.
  const costUnknown = t !== undefined && t.rated > 0 && t.ratedWithoutCost === t.rated;
  const unknownAmount = (
    <span className="text-slate-400" title={NO_BUY_COST_FOR_CALLS}>
      —
    </span>
  );
  // Calendar periods (today, this month, custom days) do not move with `now`: their queries keep
  // their keys, so a refresh fetches them again. A rolling period moves, and its new keys fetch.
  const refresh = () => {
    const next = new Date();
    const nextRange = rangeFor(preset, next, timeZone, fromDay || undefined, toDay || undefined);
    setNow(next);
    if (range && nextRange && nextRange.from.getTime() === range.from.getTime() && nextRange.to.getTime() === range.to.getTime()) {
      void search.refetch();
      void totals.refetch();
      void timeline.refetch();
    }
  };
  const header = (
    <PageHeader
      title="Calls"
      description={admin ? "Every rated, unanswered and unbillable call, searched by date, customer, number and file." : "Your calls, with what each one cost."}
      actions={
        <>
          <Button variant="ghost" onClick={refresh} disabled={!ready}>
            Refresh
          </Button>
          <ExportCsvButton href={exportHref} disabled={!ready || (t?.calls ?? 0) === 0} rows={t?.calls} />
        </>
      }
    />
  );
  // The filters' choices carry the currency too: without them nothing can be searched or shown.
  if (!options.data && options.isError) {
    return (
      <div>
        {header}
        <QueryError error={options.error} what="calls" onRetry={() => void options.refetch()} />
      </div>
    );
  }
  return (
    <div>
      {header}

      <div className="mb-3 flex flex-wrap items-end gap-2 rounded-lg border border-slate-200 bg-white p-3" role="search" aria-label="Filter calls">
        <FormField label="Period" className="min-w-40">
          <Select
            size="sm"
            value={preset}
            onChange={(event) => {
              const value = event.target.value as TRangePreset;
              const today = dayOf(new Date(), timeZone);
              update(value === "custom" ? { range: value, fromDay: fromDay || today, toDay: toDay || today } : { range: value === "7d" ? null : value, fromDay: null, toDay: null });
            }}
            options={RANGE_PRESETS.map((option) => ({ value: option.value, label: option.label }))}
          />
        </FormField>
        {preset === "custom" ? (
          <>
            <FormField label="From" error={rangeError?.field === "from" ? rangeError.message : serverRangeErrors.from}>
              <Input size="sm" type="date" value={fromDay} title={`Days start at midnight in ${timeZone}`} onChange={(event) => update({ fromDay: event.target.value || null })} />
            </FormField>
            <FormField label="To (inclusive)" error={rangeError?.field === "to" ? rangeError.message : serverRangeErrors.to}>
              <Input size="sm" type="date" value={toDay} title={`Days end at midnight in ${timeZone}`} onChange={(event) => update({ toDay: event.target.value || null })} />
            </FormField>
          </>
        ) : null}
        {admin
          ? select(
              "customerId",
              "Customer",
              [
                { value: NO_CUSTOMER, label: "No customer (unassigned)" },
                ...(options.data?.customers ?? []).map((customer) => ({ value: customer.id, label: customerLabel(customer) })),
              ],
              "All customers",
              selectedCustomer ? customerLabel(selectedCustomer) : undefined,
            )
          : null}
        {select("trunkId", "Trunk", trunks.map((trunk) => ({ value: trunk.id, label: trunk.name })), "All trunks", selectedTrunkName)}
        <FormField label="Caller contains" className="w-36" error={serverErrors.caller}>
          <CommitInput value={text("caller")} onCommit={(value) => update({ caller: value || null })} placeholder="e.g. 555-0100" />
        </FormField>
        <FormField label="Callee prefix" className="w-36" error={serverErrors.calleePrefix}>
          <CommitInput value={text("callee")} onCommit={(value) => update({ callee: value || null })} placeholder="e.g. +44 20, 303" inputMode="tel" />
        </FormField>
        {select("category", "Category", CATEGORIES.map((value) => ({ value, label: statusLabel(value) })), "Any category")}
        {select("status", "Status", STATUSES.map((value) => ({ value, label: statusName(value, audience) })), "Any status")}
        {admin ? select("sourceId", "Source", (options.data?.sources ?? []).map((source) => ({ value: source.id, label: source.name })), "All sources") : null}
        {filter.fileId ? (
          <FilterChip
            label="File"
            value={selectedFileName ?? `${filter.fileId.slice(0, 8)}…`}
            title={selectedFileName ? `${selectedFileName} (${filter.fileId})` : filter.fileId}
            mono={!selectedFileName}
            clearLabel="Clear the file filter"
            onClear={() => update({ fileId: null })}
          />
        ) : null}
        {filter.accountCode ? (
          <FilterChip label="Account code" value={filter.accountCode} title={filter.accountCode} mono clearLabel="Clear the account code filter" onClear={() => update({ accountCode: null })} />
        ) : null}
        {filter.unbillableReason ? (
          <FilterChip
            label="Unbillable reason"
            value={reasonTitle(filter.unbillableReason)}
            title={filter.unbillableReason}
            clearLabel="Clear the unbillable reason filter"
            onClear={() => update({ unbillableReason: null })}
          />
        ) : null}
      </div>

      {totals.isError && !filterError ? (
        <div className="mb-3 rounded-lg border border-slate-200 bg-white">
          <QueryError error={totals.error} what="the totals" onRetry={() => void totals.refetch()} />
        </div>
      ) : (
        <div className={`mb-3 grid grid-cols-2 gap-2 ${admin ? "sm:grid-cols-5" : "sm:grid-cols-3"}`}>
          <Stat
            label="Calls"
            loading={totalsLoading}
            value={t ? numberFormat.format(t.calls) : "—"}
            hint={
              t
                ? `${numberFormat.format(t.rated)} rated · ${numberFormat.format(t.unanswered)} unanswered · ${numberFormat.format(t.unbillable)} ${statusName("UNBILLABLE", audience).toLowerCase()}`
                : undefined
            }
          />
          <Stat label="Billed minutes" loading={totalsLoading} value={t ? t.minutes : "—"} hint={t ? `${numberFormat.format(Number(t.billedSeconds))} s` : undefined} />
          <Stat label="Price" loading={totalsLoading} value={t ? <Money micros={t.price} currency={currency} /> : "—"} />
          {admin ? (
            <>
              <Stat
                label="Cost"
                loading={totalsLoading}
                value={!t ? "—" : costUnknown ? unknownAmount : <Money micros={t.cost} currency={currency} />}
                hint={costUnknown ? "No buy cost known" : t && t.ratedWithoutCost > 0 ? `${ratedCalls(t.ratedWithoutCost)} without a cost` : undefined}
              />
              <Stat
                label="Margin"
                loading={totalsLoading}
                tone={t && !costUnknown && t.margin !== null && t.margin < 0n ? "danger" : "neutral"}
                value={!t ? "—" : costUnknown ? unknownAmount : <Money micros={t.margin} currency={currency} />}
                hint={!costUnknown && t && t.ratedWithoutCost > 0 ? `${ratedCalls(t.ratedWithoutCost)} without a cost left out` : undefined}
              />
            </>
          ) : null}
        </div>
      )}

      <CallsTimeline
        timeline={timeline.data}
        loading={!timeline.data && !filterError}
        emptyMessage={filterError ? "Fix the filter to see calls" : undefined}
        failure={timeline.isError && !filterError ? { error: timeline.error, onRetry: () => void timeline.refetch() } : null}
      />

      {search.isError && !filterError ? (
        <QueryError error={search.error} what="calls" onRetry={() => void search.refetch()} />
      ) : (
        <DataTable
          label="Calls"
          columns={columns}
          rows={shown?.rows ?? []}
          // The totals count the same filter; while the rows shown are still the previous ones
          // (or the count is loading or failed) the footer goes without it.
          total={shown && !search.isPlaceholderData ? (t?.calls ?? null) : null}
          pageSize={PAGE_SIZE}
          pageSizeOptions={[PAGE_SIZE]}
          page={page.index}
          hasNextPage={Boolean(shown?.nextCursor)}
          hasPreviousPage={page.index > 0}
          pagingDisabled={pagingLocked}
          onPageChange={(index) => {
            if (pagingLocked || !shown) return;
            const forward = index > page.index;
            const cursor = forward ? shown.nextCursor : shown.previousCursor;
            const target = page.index + (forward ? 1 : -1);
            const next: TPage = target <= 0 || !cursor ? FIRST_PAGE : { index: target, cursor, direction: forward ? "next" : "previous" };
            // A second click before this render's page arrives would step from a page not shown.
            setPage((current) => (current === page ? next : current));
          }}
          loading={(!ready && !inputError) || search.isFetching}
          getRowId={(row) => `${row.sourceId}:${row.recordKey}:${row.startAt.toISOString()}`}
          emptyState={
            <EmptyState
              compact
              icon={<CallsIcon />}
              title={filterError ? "Fix the filter to search" : "No calls match"}
              description={
                filterError ??
                (admin ? "Widen the period or clear a filter. Calls appear here once their CDR file is ingested." : "Widen the period or clear a filter. Calls appear here a few minutes after they end.")
              }
            />
          }
        />
      )}
    </div>
  );
}
