"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { DateTime } from "@/components/admin/date-time";
import { formErrorsOf, toastError } from "@/components/trpc/errors";
import { formatDuration } from "@/components/admin/format";
import { QueryError } from "@/components/admin/query-error";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CdrFileProgress, CdrFileStatusBadge } from "@/components/cdr/files/file-status";
import {
  RUNNING_STATUSES,
  callsOfFileHref,
  fileHref,
  formatCount,
  formatFileSize,
  rejectsCsvHref,
  type TCdrFile,
  type TCdrRejectRow,
} from "@/components/cdr/files/types";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { DownloadLink } from "@/components/ui/download-link";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import { cdrFormatName } from "@/components/cdr/sources/types";
import { RecordUnavailable } from "@/components/admin/record-unavailable";
import { JobsIcon } from "@/components/shell/icons";

const REFRESH_MS = 1_000;

const NO_COST_HINT = "No rated call of this file has a cost: its source had no cost deck, or the deck has no rate for its numbers.";

const rejectColumns: ColumnDef<TCdrRejectRow>[] = [
  { id: "line", header: "Line", meta: { width: "1%", align: "right" }, cell: ({ row }) => formatCount(row.original.line) },
  { id: "reason", header: "Reason", cell: ({ row }) => <span className="text-danger-700">{row.original.reason}</span> },
  {
    id: "raw",
    header: "Raw text",
    meta: { wrap: true },
    cell: ({ row }) => <code className="font-mono text-xs break-all whitespace-pre-wrap text-slate-700">{row.original.raw}</code>,
  },
];

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function Equation({ file }: { file: TCdrFile }) {
  const sum = file.rated + file.unanswered + file.unbillable + file.rejected + file.alreadyPresent;
  const balanced = sum === file.lines;
  return (
    <p className={balanced ? "text-sm text-slate-700" : "text-sm font-medium text-danger-700"} data-testid="line-equation">
      <span className="numeric">
        {formatCount(file.lines)} lines = {formatCount(file.rated)} rated + {formatCount(file.unanswered)} unanswered + {formatCount(file.unbillable)} unbillable +{" "}
        {formatCount(file.rejected)} rejected
        {file.alreadyPresent > 0 ? <> + {formatCount(file.alreadyPresent)} already stored</> : null}
      </span>{" "}
      {file.status === "DONE" ? (balanced ? <span className="text-success-700">✓ every line accounted for</span> : <span>(does not add up: tell support)</span>) : null}
    </p>
  );
}

function DismissDialog({ open, onClose, fileId, failed }: { open: boolean; onClose: () => void; fileId: string; failed: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string[] | null>(null);
  const dismiss = useMutation(
    trpc.cdrFiles.dismiss.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.get.queryKey({ fileId }) });
        void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.needingAttention.queryKey() });
        toast.success(failed ? "File dismissed: it is not read again" : "File dismissed: its calls are not billed");
        onClose();
      },
      onError: (failure) => setError(formErrorsOf(failure, ["reason"]).reason ?? null),
    }),
  );
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => !next && !dismiss.isPending && onClose()}
      title={failed ? "Dismiss failed file" : "Dismiss held file"}
      description={
        failed
          ? "The file stays on record with your reason. It stored no call, and it is not read again."
          : "The file stays on record with your reason; none of its calls are billed."
      }
      dismissible={!dismiss.isPending}
      size="md"
      footer={
        <>
          <Button onClick={onClose} disabled={dismiss.isPending}>
            Cancel
          </Button>
          <Button type="submit" form="dismiss-file-form" variant="danger" loading={dismiss.isPending}>
            Dismiss file
          </Button>
        </>
      }
    >
      <form
        id="dismiss-file-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (reason.trim().length === 0) {
            setError(["Say why the file is dismissed"]);
            return;
          }
          dismiss.mutate({ fileId, reason });
        }}
      >
        <FormField label="Reason" required error={error} hint="For example: the carrier confirmed the first delivery was the right one.">
          <Textarea
            name="reason"
            value={reason}
            onChange={(event) => {
              setReason(event.target.value);
              setError(null);
            }}
            rows={3}
            maxLength={500}
            data-autofocus
          />
        </FormField>
      </form>
    </Dialog>
  );
}

/** What releasing does, by why the file is held: only calls of its own source are recognised. */
function releaseDescription(file: TCdrFile): string {
  if (file.heldReason === "SAME_CONTENT_OTHER_SOURCE") {
    return `It was held for the same content on another source, which no longer has it: its calls are read and billed in full under ${file.source.name}.`;
  }
  return "Its calls are read and billed, except those the earlier file with the same name brought: they are known by their call id, even if their start time changed, and are not billed again.";
}

/** One CDR file: where it stands, what its lines became, and what to do when it is held or failed. */
export function CdrFileDetail({ fileId }: { fileId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const access = useStaffAccess();
  const [rejectsPage, setRejectsPage] = useState(0);
  const [rejectsPageSize, setRejectsPageSize] = useState(25);
  const [releasing, setReleasing] = useState(false);
  const [dismissing, setDismissing] = useState(false);

  const file = useQuery({
    ...trpc.cdrFiles.get.queryOptions({ fileId }),
    refetchInterval: (query) => (query.state.data && RUNNING_STATUSES.includes(query.state.data.status) ? REFRESH_MS : false),
  });
  const running = file.data ? RUNNING_STATUSES.includes(file.data.status) : false;
  const rejects = useQuery({
    ...trpc.cdrFiles.rejects.queryOptions({ fileId, page: rejectsPage, pageSize: rejectsPageSize }),
    placeholderData: keepPreviousData,
    enabled: file.isSuccess,
    refetchInterval: running ? REFRESH_MS * 3 : false,
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.get.queryKey({ fileId }) });
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.needingAttention.queryKey() });
  };
  const release = useMutation(
    trpc.cdrFiles.release.mutationOptions({
      onSuccess: () => {
        setReleasing(false);
        refresh();
        toast.success("File released: reading its calls now");
      },
      onError: toastError,
    }),
  );
  const retry = useMutation(
    trpc.cdrFiles.retry.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Retrying the file");
      },
      onError: toastError,
    }),
  );

  if (file.isError) {
    return (
      <RecordUnavailable
        title="CDR file"
        parent={{ label: "CDR files", href: "/admin/cdr/files" }}
        error={file.error}
        what="this CDR file"
        onRetry={() => void file.refetch()}
        notFound={{ icon: <JobsIcon />, title: "This CDR file does not exist", backLabel: "All CDR files" }}
      />
    );
  }
  const data = file.data;
  const currency = access.tenantCurrency ?? "USD";
  const processingMs = data?.startedAt && data.finishedAt ? data.finishedAt.getTime() - data.startedAt.getTime() : null;

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={data?.fileName ?? "CDR file"}
        breadcrumbs={[{ label: "CDR files", href: "/admin/cdr/files" }, { label: data?.fileName ?? "File" }]}
        description={data ? `From ${data.source.name} (${cdrFormatName(data.source.format)}) · ${formatFileSize(data.size)}` : undefined}
        meta={data ? <CdrFileStatusBadge status={data.status} /> : undefined}
        actions={
          data ? (
            <>
              <Link href={callsOfFileHref(fileId, data.callDays)} className={buttonClassName("secondary")}>
                View calls
              </Link>
              {data.rejected > 0 ? (
                <DownloadLink href={rejectsCsvHref(fileId)} className={buttonClassName("secondary")} failureMessage="Download of the rejected lines failed">
                  Download rejects CSV
                </DownloadLink>
              ) : null}
              {access.canEdit && data.status === "HELD" ? (
                <>
                  <Button variant="danger" onClick={() => setDismissing(true)}>
                    Dismiss…
                  </Button>
                  {/* The server refuses it: another source's accepted file has these calls. */}
                  {data.acceptedElsewhere ? null : (
                    <Button variant="primary" onClick={() => setReleasing(true)}>
                      Release for ingest…
                    </Button>
                  )}
                </>
              ) : null}
              {access.canEdit && data.status === "FAILED" ? (
                <>
                  {/* Only a file that stored no call: one that did guards its content, and is retried. */}
                  {data.callsStored === 0 ? (
                    <Button variant="danger" onClick={() => setDismissing(true)}>
                      Dismiss…
                    </Button>
                  ) : null}
                  <Button variant="primary" loading={retry.isPending} onClick={() => retry.mutate({ fileId })}>
                    Retry
                  </Button>
                </>
              ) : null}
            </>
          ) : undefined
        }
      />

      {!data ? (
        <Card>
          <CardContent className="flex flex-col gap-3">
            <Skeleton className="h-5 w-1/3" />
            <Skeleton className="h-16 w-full" />
          </CardContent>
        </Card>
      ) : (
        <>
          {data.status === "FAILED" && data.error ? (
            <p role="alert" className="rounded-md border border-danger-600/20 bg-danger-50 px-3 py-2 text-sm text-danger-700">
              <span className="font-medium">The file could not be read to the end:</span> {data.error}
              {access.canEdit ? " Fix the cause (e.g. the source's format) and retry: lines already stored are not billed twice." : null}
            </p>
          ) : null}
          {data.note ? (
            <p className={`rounded-md border px-3 py-2 text-sm ${data.status === "HELD" ? "border-warning-600/30 bg-warning-50 text-warning-800" : "border-slate-200 bg-slate-50 text-slate-700"}`}>
              {data.note}
              {data.duplicateOf ? (
                <>
                  {" "}
                  <Link href={fileHref(data.duplicateOf.id)} className="font-medium text-brand-700 hover:underline">
                    Open {data.duplicateOf.fileName}
                    {data.duplicateOf.source.id === data.source.id ? null : ` (${data.duplicateOf.source.name})`}
                  </Link>
                </>
              ) : null}
            </p>
          ) : null}
          {data.status === "HELD" && data.acceptedElsewhere ? (
            <p role="status" className="rounded-md border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800" data-testid="release-barred">
              <span className="font-medium">This file cannot be released.</span> Source {data.acceptedElsewhere.source.name} already has this content, as{" "}
              <Link href={fileHref(data.acceptedElsewhere.id)} className="font-medium text-brand-700 hover:underline">
                {data.acceptedElsewhere.fileName}
              </Link>
              : calls are recognised per source, so releasing it would bill its calls a second time.
              {access.canEdit ? " Dismiss it, with the reason." : null}
            </p>
          ) : null}
          {running ? (
            <Card>
              <CardContent className="flex flex-col gap-2">
                <span className="text-sm font-medium text-slate-800">{data.status === "RECEIVED" ? "Waiting for a worker…" : "Reading and rating calls…"}</span>
                <CdrFileProgress file={data} className="max-w-xl" />
              </CardContent>
            </Card>
          ) : null}

          <Card>
            <CardHeader>
              <CardTitle>Lines</CardTitle>
              <CardDescription>Every line of the file is a rated, unanswered or unbillable call, or a rejected line.</CardDescription>
            </CardHeader>
            <CardContent className="flex flex-col gap-3">
              <div className="grid grid-cols-2 gap-3 md:grid-cols-5">
                <Stat label="Lines" value={formatCount(data.lines)} />
                <Stat label="Rated" value={formatCount(data.rated)} tone="success" />
                <Stat label="Unanswered" value={formatCount(data.unanswered)} />
                <Stat
                  label="Unbillable"
                  value={formatCount(data.unbillable)}
                  tone={data.unbillable > 0 ? "warning" : "neutral"}
                  hint={
                    data.unbillable > 0 ? (
                      <span className="flex flex-wrap gap-x-3">
                        {/* callsOfFileHref always has a query string: the status is one more parameter. */}
                        <Link href={`${callsOfFileHref(fileId, data.callDays)}&status=UNBILLABLE`} className="text-brand-700 hover:underline">
                          View unbillable calls
                        </Link>
                        <Link href="/admin/cdr/unbillable" className="text-brand-700 hover:underline">
                          Fix in the unbillable queue
                        </Link>
                      </span>
                    ) : undefined
                  }
                />
                <Stat label="Rejected" value={formatCount(data.rejected)} tone={data.rejected > 0 ? "danger" : "neutral"} />
              </div>
              <Equation file={data} />
              {data.alreadyPresent > 0 ? (
                <p className="text-xs text-slate-600">
                  {formatCount(data.alreadyPresent)} lines repeat calls already stored (from another file, or an earlier line of this one): they are
                  not stored or billed again.
                </p>
              ) : null}
              <dl className="grid grid-cols-2 gap-3 border-t border-slate-100 pt-3 md:grid-cols-4">
                <Field label="Price of rated calls">
                  <Money micros={data.priceTotal} currency={currency} />
                </Field>
                <Field label="Cost (buy deck)">
                  {data.costKnown ? (
                    <Money micros={data.costTotal} currency={currency} />
                  ) : (
                    // As on the Calls page: "0.00" would read as break-even.
                    <span className="flex flex-col">
                      <span className="text-slate-400">—</span>
                      <span className="text-xs text-slate-500">{data.costKnown === null ? "Known once the file is read" : NO_COST_HINT}</span>
                    </span>
                  )}
                </Field>
                <Field label="Billed minutes">
                  <span className="numeric" title={`${formatCount(Number(data.billedSeconds))} s`}>
                    {data.billedMinutes}
                  </span>
                </Field>
                <Field label="Attempts">{formatCount(data.attempts)}</Field>
                <Field label="Calls stored">
                  <span className="numeric">{formatCount(data.callsStored)}</span>
                </Field>
                <Field label="First call">
                  <DateTime value={data.firstCallAt} />
                </Field>
                <Field label="Last call">
                  <DateTime value={data.lastCallAt} />
                </Field>
              </dl>
            </CardContent>
          </Card>

          <Card>
            <CardHeader>
              <CardTitle>File</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
                <Field label="Received">
                  <DateTime value={data.receivedAt} style="precise" />
                </Field>
                <Field label="Started">
                  <DateTime value={data.startedAt} style="precise" />
                </Field>
                <Field label="Finished">
                  <DateTime value={data.finishedAt} style="precise" />
                </Field>
                <Field label="Processing time">{processingMs === null ? "—" : formatDuration(processingMs)}</Field>
                <Field label="Came from">
                  {data.remotePath.startsWith("upload:") ? (
                    <>Uploaded by {data.uploadedBy?.name ?? data.uploadedBy?.email ?? "an admin"}</>
                  ) : (
                    <span className="font-mono text-xs break-all">
                      {data.server ? `${data.server.host}:${data.server.port} ` : ""}
                      {data.remotePath}
                    </span>
                  )}
                </Field>
                <Field label="Remote modified">
                  <DateTime value={data.remoteModifiedAt} />
                </Field>
                <Field label="Size">{formatFileSize(data.size)}</Field>
                <Field label="SHA-256">
                  <span className="font-mono text-xs break-all" title={data.sha256}>
                    {data.sha256.slice(0, 16)}…
                  </span>
                </Field>
              </dl>
            </CardContent>
          </Card>

          <Card>
            <CardHeader
              actions={
                data.rejected > 0 ? (
                  <DownloadLink href={rejectsCsvHref(fileId)} className={buttonClassName("secondary", "sm")} failureMessage="Download of the rejected lines failed">
                    Download rejects CSV
                  </DownloadLink>
                ) : undefined
              }
            >
              <CardTitle>Rejected lines</CardTitle>
              <CardDescription>Lines that are not calls, kept with their number, text and reason.</CardDescription>
            </CardHeader>
            <CardContent flush>
              <DataTable<TCdrRejectRow>
                label="Rejected lines"
                columns={rejectColumns}
                rows={rejects.data?.rows ?? []}
                total={rejects.data?.total ?? 0}
                page={rejectsPage}
                pageSize={rejectsPageSize}
                onPageChange={setRejectsPage}
                onPageSizeChange={(size) => {
                  setRejectsPageSize(size);
                  setRejectsPage(0);
                }}
                loading={rejects.isPending}
                getRowId={(row) => String(row.line)}
                maxHeight={null}
                emptyState={
                  rejects.isError ? (
                    <QueryError error={rejects.error} what="rejected lines" onRetry={() => void rejects.refetch()} />
                  ) : (
                    <EmptyState compact title="No rejected lines" description={running ? "None so far." : "Every line of this file was a call."} />
                  )
                }
              />
            </CardContent>
          </Card>
        </>
      )}

      <ConfirmDialog
        open={releasing}
        onOpenChange={setReleasing}
        title="Release this file for ingest?"
        description={data ? releaseDescription(data) : undefined}
        confirmLabel="Release and ingest"
        destructive={false}
        pending={release.isPending}
        onConfirm={() => release.mutate({ fileId })}
      />
      <DismissDialog open={dismissing} onClose={() => setDismissing(false)} fileId={fileId} failed={data?.status === "FAILED"} />
    </div>
  );
}
