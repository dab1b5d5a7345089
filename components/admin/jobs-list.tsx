"use client";

import type { ReactNode } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { errorCodeOf } from "@/components/trpc/errors";
import { formatDuration, isUuid, shortId } from "@/components/admin/format";
import { JsonView } from "@/components/admin/json-view";
import { JOB_STATUSES, oneOf } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import type { TJobRun, TJobRunRow } from "@/components/admin/types";
import { JobsIcon } from "@/components/shell/icons";
import { DataTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { StatusBadge, statusLabel } from "@/components/ui/status-badge";
import { ListFilterSelect } from "@/components/admin/list-filter-select";

const SORT_IDS = ["createdAt", "functionId", "status", "attempts"] as const;
const STATUS_OPTIONS = JOB_STATUSES.map((value) => ({ value, label: statusLabel(value) }));
/** Often enough to watch a retry progress, rare enough not to load the database. */
const REFRESH_MS = 5_000;

function isFinished(status: string): boolean {
  return status === "COMPLETED" || status === "FAILED";
}

function duration(run: { startedAt: Date | null; finishedAt: Date | null }): string | null {
  if (!run.startedAt || !run.finishedAt) return null;
  return formatDuration(run.finishedAt.getTime() - run.startedAt.getTime());
}

function Attempts({ run }: { run: { attempts: number; maxAttempts: number; status: string } }) {
  return (
    <span className={run.attempts > 1 || run.status === "FAILED" ? "text-warning-800" : undefined}>
      {run.attempts} / {run.maxAttempts}
    </span>
  );
}

const columns: ColumnDef<TJobRunRow>[] = [
  {
    id: "createdAt",
    header: "Created",
    enableSorting: true,
    meta: { width: "1%" },
    cell: ({ row }) => <DateTime value={row.original.createdAt} style="precise" />,
  },
  {
    id: "functionId",
    header: "Function",
    enableSorting: true,
    cell: ({ row }) => (
      <span className="flex flex-col leading-tight">
        <span className="font-mono text-xs font-medium text-slate-900">{row.original.functionId}</span>
        <span className="font-mono text-[11px] text-slate-500">{row.original.eventName}</span>
      </span>
    ),
  },
  {
    id: "status",
    header: "Status",
    enableSorting: true,
    cell: ({ row }) => <StatusBadge status={row.original.status} />,
  },
  {
    id: "attempts",
    header: "Attempts",
    enableSorting: true,
    meta: { align: "right" },
    cell: ({ row }) => <Attempts run={row.original} />,
  },
  {
    id: "nextRunAt",
    header: "Next attempt",
    cell: ({ row }) =>
      row.original.nextRunAt && !isFinished(row.original.status) ? (
        <DateTime value={row.original.nextRunAt} style="precise" />
      ) : (
        <span className="text-slate-400">—</span>
      ),
  },
  {
    id: "duration",
    header: "Duration",
    meta: { align: "right" },
    cell: ({ row }) => duration(row.original) ?? <span className="text-slate-400">—</span>,
  },
  {
    id: "error",
    header: "Last error",
    meta: { className: "max-w-sm truncate" },
    cell: ({ row }) =>
      row.original.error ? (
        <span className="font-mono text-xs text-danger-700" title={row.original.error}>
          {row.original.error}
        </span>
      ) : null,
  },
];

export function JobsList() {
  const trpc = useTRPC();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["status"] as const });
  const status = oneOf(list.filters.status, JOB_STATUSES);
  const openId = list.searchParams.get("run");

  const runs = useQuery({
    ...trpc.jobs.list.queryOptions({ ...list.pageInput, filter: { status } }),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });

  const openRun = (id: string | null) => list.update({ run: id }, false);

  return (
    <div>
      <BehindModal hidden={openId !== null}>
        <PageHeader
          title="Jobs"
          description={`Background work (emails, provisioning, rating) and its retries. Refreshes every ${REFRESH_MS / 1000} seconds.`}
        />
        <DataTable<TJobRunRow>
          label="Job runs"
          columns={columns}
          rows={runs.data?.rows ?? []}
          total={runs.data?.total ?? 0}
          {...list.tableProps}
          searchPlaceholder="Search function or event…"
          // Background refreshes should not dim the table every five seconds.
          loading={runs.isPending || (runs.isFetching && runs.isPlaceholderData)}
          getRowId={(row) => row.id}
          onRowClick={(row) => openRun(row.id)}
          rowClassName={(row) => (row.status === "FAILED" ? "bg-danger-50/40" : undefined)}
          toolbar={
            <>
              <ListFilterSelect list={list} name="status" label="Status filter" placeholder="All statuses" options={STATUS_OPTIONS} className="w-36" />
              <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
            </>
          }
          emptyState={
            runs.isError ? (
              <QueryError error={runs.error} what="job runs" onRetry={() => void runs.refetch()} />
            ) : list.hasFilters ? (
              <EmptyState compact title="No matching job runs" description="Try another status or search." />
            ) : (
              <EmptyState compact icon={<JobsIcon />} title="No job runs yet" description="Runs appear as soon as background work is queued." />
            )
          }
        />
      </BehindModal>

      <RunDialog runId={openId} onClose={() => openRun(null)} />
    </div>
  );
}

function RunDialog({ runId, onClose }: { runId: string | null; onClose: () => void }) {
  const trpc = useTRPC();
  const valid = runId !== null && isUuid(runId);
  const run = useQuery({
    ...trpc.jobs.get.queryOptions({ runId: valid ? runId : "" }),
    enabled: valid,
    // Keep watching a run until it is finished.
    refetchInterval: (query) => (query.state.data && isFinished(query.state.data.status) ? false : REFRESH_MS),
  });
  const data = valid ? run.data : undefined;

  return (
    <Dialog
      open={runId !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={data ? data.functionId : "Job run"}
      description={data ? `Run ${shortId(data.id)} of event ${data.eventName}` : undefined}
      size="lg"
    >
      {!valid || errorCodeOf(run.error) === "NOT_FOUND" ? (
        <EmptyState compact title="Job run not found" description="It may belong to another tenant, or the link is wrong." />
      ) : run.isError ? (
        <QueryError error={run.error} what="this job run" onRetry={() => void run.refetch()} />
      ) : !data ? (
        <div aria-busy="true">
          <SkeletonText lines={6} />
        </div>
      ) : (
        <RunDetails run={data} />
      )}
    </Dialog>
  );
}

function RunDetails({ run }: { run: TJobRun }) {
  const took = duration(run);
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-3">
        <Field label="Status">
          <StatusBadge status={run.status} />
        </Field>
        <Field label="Attempts">
          <Attempts run={run} />
        </Field>
        <Field label="Duration">{took ?? <span className="text-slate-400">—</span>}</Field>
        <Field label="Created">
          <DateTime value={run.createdAt} style="precise" />
        </Field>
        <Field label="Started">
          <DateTime value={run.startedAt} style="precise" />
        </Field>
        <Field label={isFinished(run.status) ? "Finished" : "Next attempt"}>
          <DateTime value={isFinished(run.status) ? run.finishedAt : run.nextRunAt} style="precise" />
        </Field>
        <Field label="Event id" className="col-span-full">
          <span className="font-mono text-xs">{run.eventId ?? "—"}</span>
        </Field>
      </dl>
      {run.error ? (
        <section aria-labelledby="run-error-title">
          <h3 id="run-error-title" className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
            {run.status === "FAILED" ? "Error" : "Last error"}
          </h3>
          <pre className="max-h-48 overflow-auto rounded-md border border-danger-600/20 bg-danger-50 p-3 font-mono text-xs leading-5 whitespace-pre-wrap text-danger-700">
            {run.error}
          </pre>
        </section>
      ) : null}
      <section aria-labelledby="run-event-title">
        <h3 id="run-event-title" className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
          Event data
        </h3>
        <JsonView value={run.eventData} label="Event data" />
      </section>
      <section aria-labelledby="run-output-title">
        <h3 id="run-output-title" className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
          Output
        </h3>
        <JsonView value={run.output} label="Output" />
      </section>
    </div>
  );
}

function Field({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    <div className={className ? `min-w-0 ${className}` : "min-w-0"}>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 truncate text-slate-900">{children}</dd>
    </div>
  );
}
