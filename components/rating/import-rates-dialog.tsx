"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { TFieldErrors } from "@/components/trpc/errors";
import { mapFieldErrors } from "@/components/rating/errors";
import {
  DECK_FORMAT_HINTS,
  DECK_FORMAT_OPTIONS,
  DECK_FORMATS,
  fromDateTimeLocal,
  importHref,
  oneOf,
  toDateTimeLocal,
  type TDeckFormat,
} from "@/components/rating/labels";
import { UploadIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";

const FIELDS = ["file", "format", "effectiveFrom", "timeZone"] as const;
const MAX_FILE_BYTES = 512 * 1024 * 1024;

type TPhase = { kind: "idle" } | { kind: "uploading"; loaded: number; total: number } | { kind: "checking" };

type TUploadResult = { ok: true; importId: string } | { ok: false; message: string; fieldErrors: TFieldErrors };

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

/** The route handler answers `{ importId }` or `{ error: { code, message, fieldErrors } }`. */
function readResponse(xhr: XMLHttpRequest): TUploadResult {
  let body: unknown = null;
  try {
    body = xhr.responseType === "json" ? xhr.response : JSON.parse(xhr.responseText);
  } catch {
    body = null;
  }
  if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === "object" && "importId" in body && typeof body.importId === "string") {
    return { ok: true, importId: body.importId };
  }
  const error = body && typeof body === "object" && "error" in body ? (body.error as { message?: unknown; fieldErrors?: unknown } | null) : null;
  const message =
    typeof error?.message === "string"
      ? error.message
      : xhr.status === 413
        ? "The file is too large for the server to accept."
        : `Upload failed (HTTP ${xhr.status}).`;
  const fieldErrors = error?.fieldErrors && typeof error.fieldErrors === "object" ? (error.fieldErrors as TFieldErrors) : {};
  return { ok: false, message, fieldErrors };
}

/**
 * Upload a deck file for preview. A plain multipart POST through XMLHttpRequest, so the
 * upload shows real progress; once the bytes are sent the server parses and checks every
 * line, which shows as "Checking rows…" until it answers with the import to preview.
 * Open it by passing the moment it was opened (`openedAt`, null = closed): every opening
 * starts a fresh form whose effective date is that moment.
 */
export function ImportRatesDialog({
  openedAt,
  onClose,
  deck,
}: {
  openedAt: Date | null;
  onClose: () => void;
  deck: { id: string; name: string };
}) {
  const open = openedAt !== null;
  const router = useRouter();
  const formId = "deck-import-form";
  const xhrRef = useRef<XMLHttpRequest | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<TDeckFormat>("native");
  const [effectiveFrom, setEffectiveFrom] = useState(() => (openedAt ? toDateTimeLocal(openedAt) : ""));
  const [timeZone, setTimeZone] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [phase, setPhase] = useState<TPhase>({ kind: "idle" });
  const [zones] = useState(timeZones);
  const busy = phase.kind !== "idle";

  // A new opening: start over (the dialog stays mounted; only its body mounts while open).
  const [formOf, setFormOf] = useState(openedAt);
  if (openedAt !== formOf) {
    setFormOf(openedAt);
    if (openedAt) {
      setFile(null);
      setFormat("native");
      setEffectiveFrom(toDateTimeLocal(openedAt));
      setTimeZone("");
      setErrors({});
      setFormError(null);
      setPhase({ kind: "idle" });
    }
  }

  // Leaving the page mid-upload stops the transfer.
  useEffect(() => () => xhrRef.current?.abort(), []);

  const clearError = (field: string) => {
    setFormError(null);
    if (errors[field]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[field];
        return next;
      });
    }
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
    if (!file) found.file = ["Choose a deck file to upload"];
    else if (file.size === 0) found.file = ["The file is empty"];
    else if (file.size > MAX_FILE_BYTES) found.file = [`The file is larger than ${formatBytes(MAX_FILE_BYTES)}`];
    const from = fromDateTimeLocal(effectiveFrom);
    if (!from) found.effectiveFrom = ["Enter the date and time from which the rates apply"];
    setErrors(found);
    setFormError(null);
    if (!file || !from || Object.keys(found).length > 0) {
      const first = FIELDS.find((field) => found[field]);
      if (first) event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }

    const body = new FormData();
    body.set("file", file, file.name);
    body.set("format", format);
    body.set("effectiveFrom", from.toISOString());
    if (timeZone.trim()) body.set("timeZone", timeZone.trim());

    const xhr = new XMLHttpRequest();
    xhrRef.current = xhr;
    xhr.open("POST", `/api/decks/${encodeURIComponent(deck.id)}/imports`);
    xhr.responseType = "json";
    xhr.setRequestHeader("accept", "application/json");
    setPhase({ kind: "uploading", loaded: 0, total: file.size });
    xhr.upload.onprogress = (progress) => {
      setPhase({ kind: "uploading", loaded: progress.loaded, total: progress.lengthComputable ? progress.total : file.size });
    };
    // Every byte is sent: the server now reads and checks each line.
    xhr.upload.onload = () => setPhase({ kind: "checking" });
    xhr.onerror = () => {
      xhrRef.current = null;
      setPhase({ kind: "idle" });
      setFormError("The upload did not reach the server. Check your connection and try again.");
    };
    xhr.onload = () => {
      xhrRef.current = null;
      const result = readResponse(xhr);
      if (result.ok) {
        toast.success(`${file.name} checked: review the changes before committing`);
        router.push(importHref(deck.id, result.importId));
        return;
      }
      setPhase({ kind: "idle" });
      const { inline, rest } = mapFieldErrors(result.fieldErrors, FIELDS);
      setErrors(inline);
      if (Object.keys(inline).length === 0 || rest.length > 0) setFormError(rest[0] ?? result.message);
      if (xhr.status === 403) toast.error(result.message);
    };
    xhr.send(body);
  };

  const percent = phase.kind === "uploading" && phase.total > 0 ? Math.min(100, Math.round((phase.loaded / phase.total) * 100)) : 0;

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next && !busy) onClose();
      }}
      title="Import rates"
      description={`Upload a rate file for ${deck.name}. Nothing changes until you review the preview and commit it.`}
      dismissible={!busy}
      closeOnBackdrop={!busy}
      size="lg"
      footer={
        <>
          <Button onClick={cancel} disabled={phase.kind === "checking"}>
            {phase.kind === "uploading" ? "Cancel upload" : "Cancel"}
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={busy}>
            <UploadIcon />
            Upload and preview
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="flex flex-col gap-4">
        <fieldset disabled={busy} className="flex flex-col gap-4">
          <FormField
            label="Deck file"
            required
            error={errors.file}
            hint={file ? `${file.name} · ${formatBytes(file.size)}` : "CSV (comma, semicolon or tab separated), with a header row."}
          >
            <Input
              name="file"
              type="file"
              accept=".csv,.txt,.tsv,text/csv,text/plain"
              onChange={(event) => {
                setFile(event.target.files?.[0] ?? null);
                clearError("file");
              }}
              className="h-auto py-1 file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 file:text-xs file:font-medium file:text-slate-700 hover:file:bg-slate-200"
              data-autofocus
            />
          </FormField>
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label="Format" required error={errors.format} hint={DECK_FORMAT_HINTS[format]}>
              <Select
                name="format"
                value={format}
                onChange={(event) => {
                  setFormat(oneOf(event.target.value, DECK_FORMATS) ?? "native");
                  clearError("format");
                }}
                options={DECK_FORMAT_OPTIONS}
              />
            </FormField>
            <div className="flex flex-col gap-4">
              <FormField
                label="Effective from"
                required
                error={errors.effectiveFrom}
                hint="Rows without their own start date apply from this moment (your time). A changed rate closes the old one here, so older calls keep their price."
              >
                <Input
                  name="effectiveFrom"
                  type="datetime-local"
                  value={effectiveFrom}
                  onChange={(event) => {
                    setEffectiveFrom(event.target.value);
                    clearError("effectiveFrom");
                  }}
                />
              </FormField>
              <FormField
                label="Time zone of dates in the file"
                optional
                error={errors.timeZone}
                hint="For dates written without an offset. Default: your tenant's time zone."
              >
                <Input
                  name="timeZone"
                  value={timeZone}
                  onChange={(event) => {
                    setTimeZone(event.target.value);
                    clearError("timeZone");
                  }}
                  list={zones.length > 0 ? "deck-import-time-zones" : undefined}
                  placeholder="e.g. America/New_York"
                  autoComplete="off"
                  spellCheck={false}
                />
              </FormField>
              {zones.length > 0 ? (
                <datalist id="deck-import-time-zones">
                  {zones.map((zone) => (
                    <option key={zone} value={zone} />
                  ))}
                </datalist>
              ) : null}
            </div>
          </div>
        </fieldset>

        {phase.kind === "uploading" ? (
          <div className="flex flex-col gap-1.5" aria-live="polite">
            <div className="flex items-center justify-between text-xs text-slate-600">
              <span>Uploading {file?.name}…</span>
              <span className="numeric">
                {formatBytes(phase.loaded)} / {formatBytes(phase.total)} · {percent}%
              </span>
            </div>
            <div
              role="progressbar"
              aria-label="Upload progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              className="h-2 w-full overflow-hidden rounded-full bg-slate-100"
            >
              <div className="h-full rounded-full bg-brand-600 transition-[width] duration-150" style={{ width: `${percent}%` }} />
            </div>
          </div>
        ) : null}
        {phase.kind === "checking" ? (
          <div className="flex flex-col gap-1.5" aria-live="polite">
            <div className="flex items-center justify-between text-xs text-slate-600">
              <span className="font-medium text-slate-800">Checking rows…</span>
              <span>Every line is read and compared with the deck; large files take a moment.</span>
            </div>
            <div
              role="progressbar"
              aria-label="Checking rows"
              aria-valuetext="Checking rows"
              className="h-2 w-full overflow-hidden rounded-full bg-brand-100"
            >
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
