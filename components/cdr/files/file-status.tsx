"use client";

import { clsx } from "clsx";
import { StatusBadge } from "@/components/ui/status-badge";
import { FILE_STATUS_LABELS, formatCount, progressPercent, type TCdrFileStatus } from "@/components/cdr/files/types";

const TONES = { HELD: "warning", DUPLICATE: "neutral", DISMISSED: "neutral", RECEIVED: "info", DONE: "success" } as const;

export function CdrFileStatusBadge({ status }: { status: string }) {
  return <StatusBadge status={status} label={FILE_STATUS_LABELS[status as TCdrFileStatus] ?? status} tone={TONES[status as keyof typeof TONES]} />;
}

/** Lines read of a running file, with a bar against the size-based estimate. */
export function CdrFileProgress({
  file,
  className,
}: {
  file: { status: string; linesRead: number; estimatedLines: number | null };
  className?: string;
}) {
  const percent = progressPercent(file);
  const queued = file.status === "RECEIVED";
  return (
    <div className={clsx("flex min-w-32 flex-col gap-1", className)}>
      <div
        role="progressbar"
        aria-label="Ingest progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-valuetext={queued ? "Waiting to start" : `${formatCount(file.linesRead)} lines read`}
        className="h-1.5 w-full overflow-hidden rounded-full bg-brand-100"
      >
        {percent === null || queued ? (
          <div className="h-full w-1/3 animate-progress rounded-full bg-brand-400 motion-reduce:animate-none" />
        ) : (
          <div className="h-full rounded-full bg-brand-600 transition-[width] duration-500" style={{ width: `${Math.max(2, percent)}%` }} />
        )}
      </div>
      <span className="text-xs text-slate-500 numeric">
        {queued
          ? "Waiting to start…"
          : `${formatCount(file.linesRead)}${file.estimatedLines ? ` of ~${formatCount(file.estimatedLines)}` : ""} lines`}
      </span>
    </div>
  );
}
