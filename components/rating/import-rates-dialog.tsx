"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { withoutFieldError, type TFieldErrors, mapFieldErrors } from "@/components/trpc/errors";
import {
  DECK_FORMAT_HINTS,
  DECK_FORMAT_OPTIONS,
  DECK_FORMATS,
  importHref,
  oneOf,
  type TDeckFormat,
} from "@/components/rating/labels";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { dateTimeInputValue, instantFromDateTimeInput } from "@/components/time/wall-time";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";
import { FileInput, UploadFormDialog } from "@/components/ui/upload-form-dialog";
import { useUpload } from "@/components/ui/use-upload";

const FIELDS = ["file", "format", "effectiveFrom", "timeZone"] as const;
const MAX_FILE_BYTES = 512 * 1024 * 1024;

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
function readImportId(body: unknown): string | null {
  return body && typeof body === "object" && "importId" in body && typeof body.importId === "string" ? body.importId : null;
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
  const upload = useUpload(readImportId);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<TDeckFormat>("native");
  const tenantTimeZone = useTimeZone();
  const [effectiveFrom, setEffectiveFrom] = useState(() => (openedAt ? dateTimeInputValue(openedAt, tenantTimeZone) : ""));
  const [timeZone, setTimeZone] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [zones] = useState(timeZones);
  const { busy } = upload;

  // A new opening: start over (the dialog stays mounted; only its body mounts while open).
  const [formOf, setFormOf] = useState(openedAt);
  if (openedAt !== formOf) {
    setFormOf(openedAt);
    if (openedAt) {
      setFile(null);
      setFormat("native");
      setEffectiveFrom(dateTimeInputValue(openedAt, tenantTimeZone));
      setTimeZone("");
      setErrors({});
      setFormError(null);
      upload.reset();
    }
  }

  const clearError = (field: string) => {
    setFormError(null);
    setErrors((current) => withoutFieldError(current, field));
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: TFieldErrors = {};
    if (!file) found.file = ["Choose a deck file to upload"];
    else if (file.size === 0) found.file = ["The file is empty"];
    else if (file.size > MAX_FILE_BYTES) found.file = [`The file is larger than ${formatBytes(MAX_FILE_BYTES)}`];
    const from = instantFromDateTimeInput(effectiveFrom, tenantTimeZone);
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

    upload.send({
      url: `/api/decks/${encodeURIComponent(deck.id)}/imports`,
      body,
      expectedBytes: file.size,
      // Busy until the preview page replaces this one.
      stayBusyOnSuccess: true,
      onSuccess: (importId) => {
        toast.success(`${file.name} checked: review the changes before committing`);
        router.push(importHref(deck.id, importId));
      },
      onFailure: (failure) => {
        const { inline, rest } = mapFieldErrors(failure.fieldErrors, FIELDS);
        setErrors(inline);
        if (Object.keys(inline).length === 0 || rest.length > 0) setFormError(rest[0] ?? failure.message);
        if (failure.status === 403) toast.error(failure.message);
      },
    });
  };

  return (
    <UploadFormDialog
      open={open}
      onClose={onClose}
      title="Import rates"
      description={`Upload a rate file for ${deck.name}. Nothing changes until you review the preview and commit it.`}
      formId={formId}
      upload={upload}
      onSubmit={submit}
      submitLabel="Upload and preview"
      fileName={file?.name}
      formatSize={formatBytes}
      processingLabel="Checking rows"
      processingMessage={
        <div className="flex items-center justify-between text-xs text-slate-600">
          <span className="font-medium text-slate-800">Checking rows…</span>
          <span>Every line is read and compared with the deck; large files take a moment.</span>
        </div>
      }
      formError={formError}
    >
      <FormField
        label="Deck file"
        required
        error={errors.file}
        hint={file ? `${file.name} · ${formatBytes(file.size)}` : "CSV (comma, semicolon or tab separated), with a header row."}
      >
        <FileInput
          name="file"
          accept=".csv,.txt,.tsv,text/csv,text/plain"
          onFileChange={(chosen) => {
            setFile(chosen);
            clearError("file");
          }}
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
            hint={`In ${tenantTimeZone}. Rows without their own start date apply from this moment. A changed rate closes the old one here, so older calls keep their price.`}
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
            hint={`For dates written without an offset. Default: ${tenantTimeZone}, the tenant's time zone.`}
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
    </UploadFormDialog>
  );
}
