"use client";

import Link from "next/link";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { shortId } from "@/components/admin/format";
import { JsonView, diffEntries, inlineJson, type TDiffEntry } from "@/components/admin/json-view";
import { customerHref } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import type { TAuditRow } from "@/components/admin/types";
import { AuditIcon, CloseIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";

const SORT_IDS = ["at", "action"] as const;
const KNOWN_TARGET_TYPES = ["customer", "user", "invitation", "tenant"];
const SUMMARY_ENTRIES = 3;

function ChangeSummary({ entries }: { entries: TDiffEntry[] }) {
  const changed = entries.filter((entry) => entry.changed);
  if (changed.length === 0) return <span className="text-slate-400">—</span>;
  const shown = changed.slice(0, SUMMARY_ENTRIES);
  return (
    <span className="flex max-w-[28rem] min-w-0 items-center gap-3 overflow-hidden font-mono text-xs">
      {shown.map((entry) => (
        <span key={entry.key} className="max-w-56 shrink-0 truncate" title={`${entry.key}: ${inlineJson(entry.before)} → ${inlineJson(entry.after)}`}>
          <span className="text-slate-500">{entry.key}: </span>
          {entry.before !== undefined ? (
            <>
              <span className="text-danger-700 line-through decoration-danger-300">{inlineJson(entry.before)}</span>
              <span className="text-slate-400"> → </span>
            </>
          ) : null}
          <span className="text-success-800">{entry.after === undefined ? "∅" : inlineJson(entry.after)}</span>
        </span>
      ))}
      {changed.length > shown.length ? <span className="text-slate-500">+{changed.length - shown.length} more</span> : null}
    </span>
  );
}

export function AuditList() {
  const trpc = useTRPC();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["targetType", "targetId"] as const });
  const targetType = list.filters.targetType?.slice(0, 64) || null;
  const targetId = list.filters.targetId?.slice(0, 64) || null;
  const [openId, setOpenId] = useState<string | null>(null);

  const events = useQuery({
    ...trpc.audit.list.queryOptions({ ...list.pageInput, filter: { targetType, targetId } }),
    placeholderData: keepPreviousData,
  });
  const rows = events.data?.rows ?? [];
  const open = openId ? rows.find((row) => row.id === openId) : undefined;

  const filterByTarget = (type: string, id: string | null) => list.update({ targetType: type, targetId: id });

  const targetTypeOptions = [...new Set([...KNOWN_TARGET_TYPES, ...(targetType ? [targetType] : [])])].map((value) => ({
    value,
    label: value.charAt(0).toUpperCase() + value.slice(1),
  }));

  const columns: ColumnDef<TAuditRow>[] = [
    {
      id: "at",
      header: "When",
      enableSorting: true,
      meta: { width: "1%" },
      cell: ({ row }) => <DateTime value={row.original.at} style="precise" />,
    },
    {
      id: "actor",
      header: "Actor",
      cell: ({ row }) => <span className="text-slate-700">{row.original.actorEmail ?? "system"}</span>,
    },
    {
      id: "action",
      header: "Action",
      enableSorting: true,
      cell: ({ row }) => <span className="font-mono text-xs font-medium text-slate-900">{row.original.action}</span>,
    },
    {
      id: "target",
      header: "Target",
      cell: ({ row }) => {
        const { targetType: type, targetId: id } = row.original;
        return (
          <button
            type="button"
            onClick={() => filterByTarget(type, id)}
            title={`Show only events of ${type}${id ? ` ${id}` : "s"}`}
            className="rounded px-1 -mx-1 text-left hover:bg-slate-100"
          >
            <span className="text-slate-700">{type}</span>
            {id ? <span className="ml-1 font-mono text-xs text-slate-500">{shortId(id)}</span> : null}
          </button>
        );
      },
    },
    {
      id: "ip",
      header: "IP",
      cell: ({ row }) => <span className="font-mono text-xs text-slate-500">{row.original.ip ?? "—"}</span>,
    },
    {
      id: "changes",
      header: "Changes",
      cell: ({ row }) => <ChangeSummary entries={diffEntries(row.original.before, row.original.after)} />,
    },
  ];

  return (
    <div>
      <BehindModal hidden={open !== undefined}>
        <PageHeader
          title="Audit log"
          description="Who changed what, when and from where. Click an event to see its full before and after."
        />

        {targetId ? (
          <div className="mb-3 flex flex-wrap items-center gap-2 text-sm text-slate-600">
            <span>Showing events of</span>
            <Badge tone="brand" className="font-mono">
              {targetType ?? "target"} {targetId}
            </Badge>
            {targetType === "customer" ? (
              <Link href={customerHref(targetId)} className="text-brand-700 hover:underline">
                Open customer
              </Link>
            ) : null}
            <Button size="sm" variant="ghost" onClick={() => list.update({ targetId: null })}>
              <CloseIcon />
              Clear target
            </Button>
          </div>
        ) : null}

        <DataTable<TAuditRow>
          label="Audit events"
          columns={columns}
          rows={rows}
          total={events.data?.total ?? 0}
          {...list.tableProps}
          searchPlaceholder="Search action or actor email…"
          loading={events.isFetching}
          getRowId={(row) => row.id}
          onRowClick={(row) => setOpenId(row.id)}
          toolbar={
            <>
              <Select
                size="sm"
                aria-label="Target type filter"
                value={targetType ?? ""}
                onChange={(event) => list.update({ targetType: event.target.value || null, targetId: null })}
                placeholder="All targets"
                options={targetTypeOptions}
                className="w-36"
              />
              <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
            </>
          }
          emptyState={
            events.isError ? (
              <QueryError error={events.error} what="the audit log" onRetry={() => void events.refetch()} />
            ) : list.hasFilters ? (
              <EmptyState compact title="No matching events" description="Try another search or clear the filters." />
            ) : (
              <EmptyState compact icon={<AuditIcon />} title="No events yet" description="Changes to accounts and users are recorded here." />
            )
          }
        />
      </BehindModal>

      <Dialog
        open={open !== undefined}
        onOpenChange={(next) => {
          if (!next) setOpenId(null);
        }}
        title={open ? <span className="font-mono">{open.action}</span> : "Event"}
        description={open ? `${open.actorEmail ?? "system"}${open.ip ? ` from ${open.ip}` : ""}` : undefined}
        size="lg"
      >
        {open ? <EventDetails event={open} /> : null}
      </Dialog>
    </div>
  );
}

function EventDetails({ event }: { event: TAuditRow }) {
  const entries = diffEntries(event.before, event.after);
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1.5 text-sm">
        <dt className="text-slate-500">When</dt>
        <dd>
          <DateTime value={event.at} style="precise" />
        </dd>
        <dt className="text-slate-500">Target</dt>
        <dd className="break-all">
          {event.targetType} <span className="font-mono text-xs text-slate-600">{event.targetId ?? ""}</span>
        </dd>
      </dl>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">No data was recorded with this event.</p>
      ) : (
        <div className="overflow-hidden rounded-md border border-slate-200">
          <MiniTable label="Changes" columns={["Field", "Before", "After"]}>
            {entries.map((entry) => (
              <MiniRow key={entry.key}>
                <MiniCell className="font-mono text-xs text-slate-600">{entry.key}</MiniCell>
                <MiniCell className={entry.changed ? "bg-danger-50/50 whitespace-pre-wrap break-all" : "whitespace-pre-wrap break-all"}>
                  <DiffValue value={entry.before} />
                </MiniCell>
                <MiniCell className={entry.changed ? "bg-success-50/50 whitespace-pre-wrap break-all" : "whitespace-pre-wrap break-all"}>
                  <DiffValue value={entry.after} />
                </MiniCell>
              </MiniRow>
            ))}
          </MiniTable>
        </div>
      )}
      <details className="text-sm">
        <summary className="cursor-pointer text-slate-600 hover:text-slate-900">Raw JSON</summary>
        <div className="mt-2 grid gap-3 sm:grid-cols-2">
          <div>
            <p className="mb-1 text-xs font-medium text-slate-500">Before</p>
            <JsonView value={event.before} label="Before" />
          </div>
          <div>
            <p className="mb-1 text-xs font-medium text-slate-500">After</p>
            <JsonView value={event.after} label="After" />
          </div>
        </div>
      </details>
    </div>
  );
}

function DiffValue({ value }: { value: unknown }) {
  if (value === undefined) return <span className="text-slate-400">—</span>;
  return <span className="font-mono text-xs">{inlineJson(value)}</span>;
}
