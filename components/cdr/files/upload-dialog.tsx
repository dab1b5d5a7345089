"use client";

import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import type { TFieldErrors } from "@/components/trpc/errors";
import { formatFileSize, type TReceivedFile } from "@/components/cdr/files/types";
import { UploadIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { CDR_FORMAT_OPTIONS } from "@/components/cdr/sources/types";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";

/** The server refuses more (server/cdr/upload.ts); checked here first so nobody waits for a refusal. */
const MAX_FILE_BYTES = 2 * 1024 ** 3;
const FIELDS = ["sourceId", "file"] as const;

type TPhase = { kind: "idle" } | { kind: "uploading"; loaded: number; total: number } | { kind: "recording" };
type TUploadResult = { ok: true; file: TReceivedFile } | { ok: false; message: string; fieldErrors: TFieldErrors };

function readResponse(xhr: XMLHttpRequest): TUploadResult {
  const body: unknown = xhr.response;
  if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === "object" && "id" in body && "status" in body) {
    return { ok: true, file: body as TReceivedFile };
  }
  const error = body && typeof body === "object" && "error" in body ? (body.error as { message?: unknown; fieldErrors?: unknown } | null) : null;
  const message = typeof error?.message === "string" ? error.message : xhr.status === 413 ? "The file is too large for the server to accept." : `Upload failed (HTTP ${xhr.status}).`;
  const fieldErrors = error?.fieldErrors && typeof error.fieldErrors === "object" ? (error.fieldErrors as TFieldErrors) : {};
  return { ok: false, message, fieldErrors };
}

/**
 * Upload a CDR file into a source's pipeline. The file is the raw request body (streamed to
 * the spool, never buffered whole), sent with XMLHttpRequest so the bar shows real upload
 * progress; the server then hashes and records it, and ingest starts on its own.
 */
function formatLabel(format: string): string {
  return CDR_FORMAT_OPTIONS.find((option) => option.value === format)?.label ?? format;
}

export function UploadCdrFileDialog({
  open,
  onClose,
  onUploaded,
  defaultSourceId,
}: {
  open: boolean;
  onClose: () => void;
  onUploaded: (file: TReceivedFile, fileName: string) => void;
  defaultSourceId?: string | null;
}) {
  const trpc = useTRPC();
  const sources = useQuery({ ...trpc.cdrSources.list.queryOptions({ page: 0, pageSize: 200 }), enabled: open });
  const formId = "cdr-upload-form";
  const xhrRef = useRef<XMLHttpRequest | null>(null);
  const [sourceId, setSourceId] = useState(defaultSourceId ?? "");
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [phase, setPhase] = useState<TPhase>({ kind: "idle" });
  const busy = phase.kind !== "idle";

  // Each opening starts a fresh form (the dialog stays mounted).
  const [wasOpen, setWasOpen] = useState(open);
  if (open !== wasOpen) {
    setWasOpen(open);
    if (open) {
      setFile(null);
      setErrors({});
      setFormError(null);
      setPhase({ kind: "idle" });
      setSourceId(defaultSourceId ?? "");
    }
  }
  // One source: nothing to choose.
  const options = (sources.data?.rows ?? []).map((source) => ({ value: source.id, label: `${source.name} · ${formatLabel(source.format)}` }));
  if (open && sourceId === "" && options.length === 1) setSourceId(options[0]!.value);

  useEffect(() => () => xhrRef.current?.abort(), []);

  const clearError = (field: string) => {
    setFormError(null);
    setErrors((current) => {
      if (!current[field]) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
  };

  const cancel = () => {
    if (xhrRef.current) {
      xhrRef.current.abort();
      xhrRef.current = null;
      setPhase({ kind: "idle" });
      toast.info("Upload cancelled");
      return;
    }
    onClose();
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: TFieldErrors = {};
    if (!sourceId) found.sourceId = ["Choose the CDR source the file comes from"];
    if (!file) found.file = ["Choose a CDR file to upload"];
    else if (file.size === 0) found.file = ["The file is empty"];
    else if (file.size > MAX_FILE_BYTES) found.file = [`The file is larger than 2 GB. Split it (for example by day) and upload the parts.`];
    setErrors(found);
    setFormError(null);
    if (!file || Object.keys(found).length > 0) {
      const first = FIELDS.find((field) => found[field]);
      if (first) event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    const xhr = new XMLHttpRequest();
    xhrRef.current = xhr;
    xhr.open("POST", `/api/cdr/upload?sourceId=${encodeURIComponent(sourceId)}&name=${encodeURIComponent(file.name)}`);
    xhr.responseType = "json";
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    setPhase({ kind: "uploading", loaded: 0, total: file.size });
    xhr.upload.onprogress = (progress) => setPhase({ kind: "uploading", loaded: progress.loaded, total: progress.lengthComputable ? progress.total : file.size });
    xhr.upload.onload = () => setPhase({ kind: "recording" });
    xhr.onerror = () => {
      xhrRef.current = null;
      setPhase({ kind: "idle" });
      setFormError("The upload did not reach the server. Check your connection and try again.");
    };
    xhr.onload = () => {
      xhrRef.current = null;
      const result = readResponse(xhr);
      setPhase({ kind: "idle" });
      if (result.ok) {
        onUploaded(result.file, file.name);
        return;
      }
      const inline: TFieldErrors = {};
      for (const [key, messages] of Object.entries(result.fieldErrors)) if ((FIELDS as readonly string[]).includes(key)) inline[key] = messages;
      setErrors(inline);
      if (Object.keys(inline).length === 0) setFormError(result.message);
    };
    xhr.send(file);
  };

  const percent = phase.kind === "uploading" && phase.total > 0 ? Math.min(100, Math.round((phase.loaded / phase.total) * 100)) : 0;
  const noSources = sources.isSuccess && options.length === 0;

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next && !busy) onClose();
      }}
      title="Upload CDR file"
      description="The file goes through the same pipeline as one fetched from the source's servers: counted once, even if the source delivers it again."
      dismissible={!busy}
      closeOnBackdrop={!busy}
      size="lg"
      footer={
        <>
          <Button onClick={cancel} disabled={phase.kind === "recording"}>
            {phase.kind === "uploading" ? "Cancel upload" : "Cancel"}
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={busy} disabled={noSources}>
            <UploadIcon />
            Upload
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="flex flex-col gap-4">
        <fieldset disabled={busy} className="flex flex-col gap-4">
          <FormField
            label="Source"
            required
            error={errors.sourceId}
            hint={
              noSources ? (
                <>
                  No CDR source yet: <Link href="/admin/cdr/sources" className="text-brand-700 hover:underline">create one</Link> (its format and time zone say how to read the file).
                </>
              ) : (
                "Its format and time zone say how the file is read."
              )
            }
          >
            <Select
              name="sourceId"
              value={sourceId}
              onChange={(event) => {
                setSourceId(event.target.value);
                clearError("sourceId");
              }}
              placeholder={sources.isPending ? "Loading sources…" : "Choose a source"}
              options={options}
            />
          </FormField>
          <FormField
            label="CDR file"
            required
            error={errors.file}
            hint={file ? `${file.name} · ${formatFileSize(file.size)}` : "Up to 2 GB, in the source's format (e.g. an Asterisk Master.csv)."}
          >
            <Input
              name="file"
              type="file"
              accept=".csv,.txt,.cdr,text/csv,text/plain"
              onChange={(event) => {
                setFile(event.target.files?.[0] ?? null);
                clearError("file");
              }}
              className="h-auto py-1 file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 file:text-xs file:font-medium file:text-slate-700 hover:file:bg-slate-200"
            />
          </FormField>
        </fieldset>
        {phase.kind === "uploading" ? (
          <div className="flex flex-col gap-1.5" aria-live="polite">
            <div className="flex items-center justify-between text-xs text-slate-600">
              <span>Uploading {file?.name}…</span>
              <span className="numeric">
                {formatFileSize(phase.loaded)} / {formatFileSize(phase.total)} · {percent}%
              </span>
            </div>
            <div role="progressbar" aria-label="Upload progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} className="h-2 w-full overflow-hidden rounded-full bg-slate-100">
              <div className="h-full rounded-full bg-brand-600 transition-[width] duration-150" style={{ width: `${percent}%` }} />
            </div>
          </div>
        ) : null}
        {phase.kind === "recording" ? (
          <div className="flex flex-col gap-1.5" aria-live="polite">
            <span className="text-xs font-medium text-slate-800">Checking the file against what this source already delivered…</span>
            <div role="progressbar" aria-label="Recording the file" aria-valuetext="Recording the file" className="h-2 w-full overflow-hidden rounded-full bg-brand-100">
              <div className="h-full w-1/3 animate-progress rounded-full bg-brand-500 motion-reduce:animate-none" />
            </div>
          </div>
        ) : null}
        {formError ? (
          <p role="alert" className="rounded-md border border-danger-600/20 bg-danger-50 px-3 py-2 text-sm text-danger-700">
            {formError}
          </p>
        ) : null}
      </form>
    </Dialog>
  );
}
