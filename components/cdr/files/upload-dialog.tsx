"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { withoutFieldError, type TFieldErrors } from "@/components/trpc/errors";
import { formatFileSize, type TReceivedFile } from "@/components/cdr/files/types";
import { cdrFormatName } from "@/components/cdr/sources/types";
import { FormField } from "@/components/ui/form-field";
import { Select } from "@/components/ui/select";
import { FileInput, UploadFormDialog } from "@/components/ui/upload-form-dialog";
import { useUpload } from "@/components/ui/use-upload";

/** The server refuses more (server/cdr/upload.ts); checked here first so nobody waits for a refusal. */
const MAX_FILE_BYTES = 2 * 1024 ** 3;
const FIELDS = ["sourceId", "file"] as const;

/** The upload route answers the recorded file (server/cdr/upload.ts). */
function readReceivedFile(body: unknown): TReceivedFile | null {
  return body && typeof body === "object" && "id" in body && "status" in body ? (body as TReceivedFile) : null;
}

/**
 * Upload a CDR file into a source's pipeline. The file is the raw request body (streamed to
 * the spool, never buffered whole), sent with XMLHttpRequest so the bar shows real upload
 * progress; the server then hashes and records it, and ingest starts on its own.
 */
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
  const upload = useUpload(readReceivedFile);
  const [sourceId, setSourceId] = useState(defaultSourceId ?? "");
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const { busy } = upload;

  // Each opening starts a fresh form (the dialog stays mounted).
  const [wasOpen, setWasOpen] = useState(open);
  if (open !== wasOpen) {
    setWasOpen(open);
    if (open) {
      setFile(null);
      setErrors({});
      setFormError(null);
      upload.reset();
      setSourceId(defaultSourceId ?? "");
    }
  }
  // One source: nothing to choose.
  const options = (sources.data?.rows ?? []).map((source) => ({ value: source.id, label: `${source.name} · ${cdrFormatName(source.format)} · ${source.timeZone}` }));
  if (open && sourceId === "" && options.length === 1) setSourceId(options[0]!.value);

  const clearError = (field: string) => {
    setFormError(null);
    setErrors((current) => withoutFieldError(current, field));
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
    upload.send({
      url: `/api/cdr/upload?sourceId=${encodeURIComponent(sourceId)}&name=${encodeURIComponent(file.name)}`,
      body: file,
      contentType: "application/octet-stream",
      expectedBytes: file.size,
      onSuccess: (received) => onUploaded(received, file.name),
      onFailure: (failure) => {
        const inline: TFieldErrors = {};
        for (const [key, messages] of Object.entries(failure.fieldErrors)) if ((FIELDS as readonly string[]).includes(key)) inline[key] = messages;
        setErrors(inline);
        if (Object.keys(inline).length === 0) setFormError(failure.message);
      },
    });
  };
  const noSources = sources.isSuccess && options.length === 0;

  return (
    <UploadFormDialog
      open={open}
      onClose={onClose}
      title="Upload CDR file"
      description="The file goes through the same pipeline as one fetched from the source's servers: counted once, even if the source delivers it again."
      formId={formId}
      upload={upload}
      onSubmit={submit}
      submitLabel="Upload"
      submitDisabled={noSources}
      fileName={file?.name}
      formatSize={formatFileSize}
      processingLabel="Recording the file"
      processingMessage={<span className="text-xs font-medium text-slate-800">Checking the file against what this source already delivered…</span>}
      formError={formError}
    >
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
        <FileInput
          name="file"
          accept=".csv,.txt,.cdr,text/csv,text/plain"
          onFileChange={(chosen) => {
            setFile(chosen);
            clearError("file");
          }}
        />
      </FormField>
    </UploadFormDialog>
  );
}
