"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CdrFileProgress, CdrFileStatusBadge } from "@/components/cdr/files/file-status";
import { UploadCdrFileDialog } from "@/components/cdr/files/upload-dialog";
import {
  CDR_FILE_STATUSES,
  FILE_STATUS_OPTIONS,
  HELD_REASON_LABELS,
  RUNNING_STATUSES,
  fileHref,
  formatCount,
  formatFileSize,
  type TCdrFileRow,
} from "@/components/cdr/files/types";
import { JobsIcon, UploadIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { toast } from "@/components/ui/toast";
import { ListFilterSelect } from "@/components/admin/list-filter-select";
import { withSelected } from "@/components/ui/with-selected";

const SORT_IDS = ["receivedAt", "fileName", "status", "lines", "priceTotal", "size"] as const;
const REFRESH_MS = 1_500;
const IDLE_REFRESH_MS = 10_000;

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/**
 * rated + unanswered + unbillable + rejected = lines, as every file shows, plus the lines whose
 * call was already stored (a file repeating calls of another), only when there are any.
 */
function LineCounts({ file }: { file: TCdrFileRow }) {
  if (file.lines === 0 && file.status !== "DONE") return <span className="text-slate-400">—</span>;
  const repeated = file.alreadyPresent > 0;
  return (
    <span className="flex flex-col items-end gap-0.5">
      <span className="font-medium text-slate-900">{formatCount(file.lines)}</span>
      <span className="text-xs whitespace-nowrap text-slate-500" title={`rated + unanswered + unbillable + rejected${repeated ? " + already stored" : ""}`}>
        <span className="text-success-700">{formatCount(file.rated)}</span> + {formatCount(file.unanswered)} +{" "}
        <span className={file.unbillable > 0 ? "font-medium text-warning-700" : undefined}>{formatCount(file.unbillable)}</span> +{" "}
        <span className={file.rejected > 0 ? "font-medium text-danger-700" : undefined}>{formatCount(file.rejected)}</span>
        {repeated ? <> + {formatCount(file.alreadyPresent)} already stored</> : null}
      </span>
    </span>
  );
}

function columns(currency: string): ColumnDef<TCdrFileRow>[] {
  return [
    {
      id: "receivedAt",
      header: "Received",
      enableSorting: true,
      meta: { width: "1%" },
      cell: ({ row }) => <DateTime value={row.original.receivedAt} />,
    },
    {
      id: "fileName",
      header: "File",
      enableSorting: true,
      cell: ({ row }) => (
        <span className="flex min-w-0 flex-col">
          <Link href={fileHref(row.original.id)} className="truncate font-medium text-brand-700 hover:underline">
            {row.original.fileName}
          </Link>
          <span className="text-xs text-slate-500">
            {row.original.remotePath.startsWith("upload:") ? "Uploaded" : row.original.remotePath} · {formatFileSize(row.original.size)}
          </span>
        </span>
      ),
    },
    {
      id: "source",
      header: "Source",
      cell: ({ row }) => <span className="text-slate-700">{row.original.source.name}</span>,
    },
    {
      id: "status",
      header: "Status",
      enableSorting: true,
      cell: ({ row }) => {
        const file = row.original;
        return (
          <span className="flex flex-col items-start gap-1">
            <CdrFileStatusBadge status={file.status} />
            {RUNNING_STATUSES.includes(file.status) ? <CdrFileProgress file={file} /> : null}
            {file.status === "FAILED" && file.error ? (
              <span className="max-w-xs truncate text-xs text-danger-700" title={file.error}>
                {file.error}
              </span>
            ) : null}
            {file.status === "DUPLICATE" && file.duplicateOfId ? (
              <Link href={fileHref(file.duplicateOfId)} className="text-xs text-brand-700 hover:underline">
                Same content as an earlier file
              </Link>
            ) : null}
            {file.status === "HELD" && file.heldReason ? <span className="text-xs text-warning-800">{HELD_REASON_LABELS[file.heldReason]}</span> : null}
          </span>
        );
      },
    },
    {
      id: "lines",
      header: "Lines (rated + unanswered + unbillable + rejected)",
      enableSorting: true,
      meta: { align: "right" },
      cell: ({ row }) => <LineCounts file={row.original} />,
    },
    {
      id: "priceTotal",
      header: "Price",
      enableSorting: true,
      meta: { align: "right" },
      cell: ({ row }) => (row.original.status === "DONE" || row.original.priceTotal > 0n ? <Money micros={row.original.priceTotal} currency={currency} /> : <span className="text-slate-400">—</span>),
    },
  ];
}

/** Every CDR file of the tenant: what arrived, where it stands, and what its lines became. */
export function CdrFilesList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const access = useStaffAccess();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["status", "source"] as const });
  const status = oneOf(list.filters.status, CDR_FILE_STATUSES);
  const sourceId = list.filters.source;
  const [uploading, setUploading] = useState(false);

  const sources = useQuery(trpc.cdrSources.list.queryOptions({ page: 0, pageSize: 200 }));
  const files = useQuery({
    ...trpc.cdrFiles.list.queryOptions({ ...list.pageInput, filter: { status, sourceId } }),
    placeholderData: keepPreviousData,
    // While anything is queued or being read, the page follows it closely; otherwise it still
    // looks now and then, so files that polls bring show up without a reload.
    refetchInterval: (query) => ((query.state.data?.active ?? 0) > 0 ? REFRESH_MS : IDLE_REFRESH_MS),
  });
  const currency = access.tenantCurrency ?? "USD";

  const listedSources = (sources.data?.rows ?? []).map((source) => ({ value: source.id, label: source.name }));
  // The source in the address may be past the sources listed (or they are still loading): it is
  // fetched by itself, so the filter shows the source the list is filtered by, never "All sources".
  const sourceListed = sourceId !== null && listedSources.some((option) => option.value === sourceId);
  const filteredSource = useQuery({ ...trpc.cdrSources.get.queryOptions(sourceId !== null && !sourceListed ? { sourceId } : skipToken), retry: false });
  const sourceOptions = withSelected(
    listedSources,
    sourceId === null ? null : { value: sourceId, label: filteredSource.data?.name ?? (filteredSource.isError ? "Unknown source" : "Loading source…") },
    (option) => option.value,
  );

  return (
    <div>
      <PageHeader
        title="CDR files"
        description="Each file from a CDR source or an upload, counted once: its lines are rated, unanswered, unbillable or rejected, and add up."
        actions={
          access.canEdit ? (
            <Button variant="primary" onClick={() => setUploading(true)}>
              <UploadIcon />
              Upload CDR file
            </Button>
          ) : null
        }
      />
      {(files.data?.active ?? 0) > 0 ? (
        <p className="mb-2 text-xs text-slate-500" aria-live="polite">
          {formatCount(files.data?.active ?? 0)} file{files.data?.active === 1 ? "" : "s"} in progress: this list refreshes on its own.
        </p>
      ) : null}
      <DataTable<TCdrFileRow>
        label="CDR files"
        columns={columns(currency)}
        rows={files.data?.rows ?? []}
        total={files.data?.total ?? 0}
        {...list.tableProps}
        searchPlaceholder="Search file name…"
        loading={files.isPending}
        getRowId={(row) => row.id}
        onRowClick={(row) => router.push(fileHref(row.id))}
        toolbar={
          <>
            <ListFilterSelect list={list} name="status" label="Status filter" placeholder="All statuses" options={FILE_STATUS_OPTIONS} className="w-40" />
            <ListFilterSelect list={list} name="source" label="Source filter" placeholder="All sources" options={sourceOptions} className="w-44" />
            <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
          </>
        }
        emptyState={
          files.isError ? (
            <QueryError error={files.error} what="CDR files" onRetry={() => void files.refetch()} />
          ) : list.hasFilters ? (
            <EmptyState compact title="No matching files" description="Try another search or clear the filters." />
          ) : (
            <EmptyState
              compact
              icon={<JobsIcon />}
              title="No CDR files yet"
              description="Files arrive when an enabled source is polled, or when you upload one."
              action={
                access.canEdit ? (
                  <Button size="sm" variant="primary" onClick={() => setUploading(true)}>
                    <UploadIcon />
                    Upload CDR file
                  </Button>
                ) : undefined
              }
            />
          )
        }
      />
      <UploadCdrFileDialog
        open={uploading}
        onClose={() => setUploading(false)}
        defaultSourceId={sourceId}
        onUploaded={(file, fileName) => {
          setUploading(false);
          void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.list.queryKey() });
          const open = { label: "Open", onClick: () => router.push(fileHref(file.id)) };
          if (file.status === "RECEIVED") toast.success(`${fileName} uploaded: reading its calls now`, { action: open });
          else if (file.status === "DUPLICATE") toast.info(`${fileName}: ${file.note ?? "already received"}`, { action: open });
          else toast.warning(`${fileName} is held for review: ${file.note ?? ""}`, { action: open });
        }}
      />
    </div>
  );
}
