"use client";

import { useEffect, useRef, useState } from "react";
import { DownloadIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { DownloadLink, responseErrorMessage } from "@/components/ui/download-link";
import { toast } from "@/components/ui/toast";

const numberFormat = new Intl.NumberFormat("en-US");

type TProgress = { rows: number; total: number | null };

/** Abort reason when the button leaves the page: the person went elsewhere, nothing to tell them. */
const UNMOUNTED = Symbol("unmounted");

/**
 * Exports up to this many calls are read into the page (with a progress bar) and saved from
 * there; the page holds the whole file until then, twice while it is saved. Larger ones go
 * to the browser's own download, which writes to disk as it arrives (~150 bytes a call, so
 * this is ~40 MB in the page at most).
 */
export const IN_PAGE_EXPORT_MAX_ROWS = 250_000;

/**
 * Downloads the CSV of the current filter with a progress bar. The server sends the row count
 * in X-Total-Rows before streaming; the browser counts lines as they arrive, so a large export
 * shows "n of N rows" and can be cancelled (AbortController ends the request and, server side,
 * the database cursor).
 */
export function ExportCsvButton({ href, disabled, rows }: { href: string; disabled?: boolean; rows?: number }) {
  const [progress, setProgress] = useState<TProgress | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  // Leaving the page mid-export would otherwise keep reading the whole file into memory and then
  // save it from whatever page the person is on by then.
  useEffect(() => () => abortRef.current?.abort(UNMOUNTED), []);

  const start = async () => {
    const controller = new AbortController();
    abortRef.current = controller;
    setProgress({ rows: 0, total: null });
    try {
      const response = await fetch(href, { signal: controller.signal });
      if (!response.ok || !response.body) throw new Error(await responseErrorMessage(response, "Export failed"));
      const totalHeader = response.headers.get("x-total-rows");
      const total = totalHeader === null ? null : Number(totalHeader);
      const fileName = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "calls.csv";
      const reader = response.body.getReader();
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let newlines = 0;
      let lastShown = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        for (let index = 0; index < value.length; index++) if (value[index] === 10) newlines++;
        // The header line is not a call.
        const rows = Math.max(0, newlines - 1);
        if (rows - lastShown >= 1000 || rows === total) {
          lastShown = rows;
          setProgress({ rows, total });
        }
      }
      // An abort as the last chunk arrives ends the loop normally: still no download.
      controller.signal.throwIfAborted();
      const rows = Math.max(0, newlines - 1);
      const url = URL.createObjectURL(new Blob(parts, { type: "text/csv;charset=utf-8" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast.success(`Exported ${numberFormat.format(rows)} call${rows === 1 ? "" : "s"}`);
    } catch (error) {
      if (controller.signal.aborted) {
        if (controller.signal.reason !== UNMOUNTED) toast.message("Export cancelled");
      } else toast.error(error instanceof Error ? error.message : "Export failed");
    } finally {
      abortRef.current = null;
      setProgress(null);
    }
  };

  if (!progress && !disabled && rows !== undefined && rows > IN_PAGE_EXPORT_MAX_ROWS) {
    return (
      <DownloadLink
        href={href}
        className={buttonClassName("secondary", "md")}
        title={`${numberFormat.format(rows)} calls: your browser downloads the file directly and shows its progress`}
        failureMessage="Export failed"
      >
        <DownloadIcon />
        Export CSV
      </DownloadLink>
    );
  }
  if (!progress) {
    return (
      <Button variant="secondary" onClick={() => void start()} disabled={disabled}>
        <DownloadIcon />
        Export CSV
      </Button>
    );
  }
  const percent = progress.total ? Math.min(100, Math.round((progress.rows / progress.total) * 100)) : null;
  return (
    <div className="flex items-center gap-2" role="status" aria-live="polite">
      <div className="w-40">
        <div
          className="h-1.5 overflow-hidden rounded-full bg-slate-200"
          role="progressbar"
          aria-label="Export progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent ?? undefined}
        >
          <div className="h-full bg-brand-600 transition-[width]" style={{ width: `${percent ?? 5}%` }} />
        </div>
        <p className="mt-1 text-xs text-slate-500 numeric">
          {progress.total === null ? "Preparing…" : `${numberFormat.format(progress.rows)} of ${numberFormat.format(progress.total)} rows`}
        </p>
      </div>
      <Button variant="ghost" size="sm" onClick={() => abortRef.current?.abort()}>
        Cancel
      </Button>
    </div>
  );
}
