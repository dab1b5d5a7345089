import type { TRouterOutputs } from "@/components/admin/types";

type TOutputs = TRouterOutputs["cdrFiles"];

export type TCdrFileRow = TOutputs["list"]["rows"][number];
export type TCdrFile = TOutputs["get"];
export type TCdrRejectRow = TOutputs["rejects"]["rows"][number];
export type TReceivedFile = { id: string; status: "RECEIVED" | "DUPLICATE" | "HELD"; note: string | null };

export const CDR_FILE_STATUSES = ["RECEIVED", "PROCESSING", "DONE", "FAILED", "HELD", "DUPLICATE", "DISMISSED"] as const;
export type TCdrFileStatus = (typeof CDR_FILE_STATUSES)[number];

/** Statuses a file leaves by itself: the pages poll while one is shown. */
export const RUNNING_STATUSES: readonly string[] = ["RECEIVED", "PROCESSING"];

export const FILE_STATUS_LABELS: Record<TCdrFileStatus, string> = {
  RECEIVED: "Queued",
  PROCESSING: "Processing",
  DONE: "Done",
  FAILED: "Failed",
  HELD: "Held for review",
  DUPLICATE: "Duplicate",
  DISMISSED: "Dismissed",
};

export type TCdrHeldReason = NonNullable<TCdrFileRow["heldReason"]>;

/** What a held file clashes with, in the files list. */
export const HELD_REASON_LABELS: Record<TCdrHeldReason, string> = {
  SAME_NAME_OTHER_CONTENT: "Same name, other content: review it",
  SAME_CONTENT_OTHER_SOURCE: "Same content as another source's file: review it",
};

export const FILE_STATUS_OPTIONS = CDR_FILE_STATUSES.map((value) => ({ value, label: FILE_STATUS_LABELS[value] }));

export function fileHref(fileId: string): string {
  return `/admin/cdr/files/${fileId}`;
}

/** The calls page filtered to a file, over the days its calls fall on when it stored any. */
export function callsOfFileHref(fileId: string, days: { fromDay: string; toDay: string } | null): string {
  const params = new URLSearchParams({ fileId, ...(days ? { range: "custom", fromDay: days.fromDay, toDay: days.toDay } : {}) });
  return `/admin/calls?${params.toString()}`;
}

export function rejectsCsvHref(fileId: string): string {
  return `/api/cdr/files/${encodeURIComponent(fileId)}/rejects`;
}

const counts = new Intl.NumberFormat("en-US");

export function formatCount(value: number | bigint): string {
  return counts.format(value);
}

export function formatFileSize(bytes: number | bigint): string {
  const value = Number(bytes);
  if (value < 1024) return `${value} B`;
  if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KB`;
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MB`;
  return `${(value / 1024 ** 3).toFixed(2)} GB`;
}

/** Percent of a running file read so far, from the lines read and the size-based estimate; capped below 100 until DONE. */
export function progressPercent(file: { linesRead: number; estimatedLines: number | null }): number | null {
  if (!file.estimatedLines || file.estimatedLines <= 0) return null;
  return Math.min(99, Math.floor((file.linesRead / file.estimatedLines) * 100));
}
