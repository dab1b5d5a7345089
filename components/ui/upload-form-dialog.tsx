"use client";

import type { FormEvent, ReactNode } from "react";
import { UploadIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Input, type InputProps } from "@/components/ui/input";
import type { TUploadPhase } from "@/components/ui/use-upload";

/** A file picker in the look of the other controls; reports the chosen file, or null when cleared. */
export function FileInput({ onFileChange, ...props }: Omit<InputProps, "type" | "onChange" | "className"> & { onFileChange: (file: File | null) => void }) {
  return (
    <Input
      {...props}
      type="file"
      onChange={(event) => onFileChange(event.target.files?.[0] ?? null)}
      className="h-auto py-1 file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 file:text-xs file:font-medium file:text-slate-700 hover:file:bg-slate-200"
    />
  );
}

function UploadProgress({ fileName, loaded, total, formatSize }: { fileName: string | undefined; loaded: number; total: number; formatSize: (bytes: number) => string }) {
  const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
  return (
    <div className="flex flex-col gap-1.5" aria-live="polite">
      <div className="flex items-center justify-between text-xs text-slate-600">
        <span>Uploading {fileName}…</span>
        <span className="numeric">
          {formatSize(loaded)} / {formatSize(total)} · {percent}%
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
  );
}

/**
 * The dialog around an upload form driven by useUpload. While the upload runs the fields are
 * disabled and the dialog cannot be dismissed (closing would orphan the transfer); Cancel
 * stops a transfer first and closes only when none is running. Once the bytes are sent the
 * server's work cannot be cancelled, so Cancel is disabled during "processing".
 */
export function UploadFormDialog({
  open,
  onClose,
  title,
  description,
  formId,
  upload,
  onSubmit,
  submitLabel,
  submitDisabled,
  fileName,
  formatSize,
  processingLabel,
  processingMessage,
  formError,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description: ReactNode;
  formId: string;
  upload: { phase: TUploadPhase; busy: boolean; cancel: () => boolean };
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  submitLabel: string;
  submitDisabled?: boolean;
  /** Of the file being sent, for the progress line. */
  fileName: string | undefined;
  formatSize: (bytes: number) => string;
  /** Accessible name of the bar while the server works on the file. */
  processingLabel: string;
  /** Shown above that bar. */
  processingMessage: ReactNode;
  formError: string | null;
  /** The form's fields. */
  children: ReactNode;
}) {
  const { phase, busy } = upload;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next && !busy) onClose();
      }}
      title={title}
      description={description}
      dismissible={!busy}
      closeOnBackdrop={!busy}
      size="lg"
      footer={
        <>
          <Button
            onClick={() => {
              if (!upload.cancel()) onClose();
            }}
            disabled={phase.kind === "processing"}
          >
            {phase.kind === "uploading" ? "Cancel upload" : "Cancel"}
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={busy} disabled={submitDisabled}>
            <UploadIcon />
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
        <fieldset disabled={busy} className="flex flex-col gap-4">
          {children}
        </fieldset>
        {phase.kind === "uploading" ? <UploadProgress fileName={fileName} loaded={phase.loaded} total={phase.total} formatSize={formatSize} /> : null}
        {phase.kind === "processing" ? (
          <div className="flex flex-col gap-1.5" aria-live="polite">
            {processingMessage}
            <div role="progressbar" aria-label={processingLabel} aria-valuetext={processingLabel} className="h-2 w-full overflow-hidden rounded-full bg-brand-100">
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
