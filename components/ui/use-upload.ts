"use client";

import { useEffect, useRef, useState } from "react";
import type { TFieldErrors } from "@/components/trpc/errors";
import { toast } from "@/components/ui/toast";

/**
 * "processing": every byte is sent and the server is working on the file (recording it,
 * checking its rows…) until it answers; the transfer can no longer be cancelled.
 */
export type TUploadPhase = { kind: "idle" } | { kind: "uploading"; loaded: number; total: number } | { kind: "processing" };

/** `status` is 0 when the request never reached the server. */
export type TUploadFailure = { status: number; message: string; fieldErrors: TFieldErrors };

export type TUploadRequest<TSuccess> = {
  url: string;
  body: XMLHttpRequestBodyInit;
  /** Only for a raw body: a FormData body sets its own multipart type. */
  contentType?: string;
  /** Shown as the total until the browser knows the real request size. */
  expectedBytes: number;
  onSuccess: (result: TSuccess) => void;
  onFailure: (failure: TUploadFailure) => void;
  /**
   * Leave the phase at "processing" after success, for a caller that navigates away: the form
   * stays disabled instead of flashing back to idle (and being sendable again) meanwhile.
   */
  stayBusyOnSuccess?: boolean;
};

/** Route handlers answer failures as `{ error: { message, fieldErrors } }`. */
function readFailure(xhr: XMLHttpRequest, body: unknown): TUploadFailure {
  const error = body && typeof body === "object" && "error" in body ? (body.error as { message?: unknown; fieldErrors?: unknown } | null) : null;
  const message =
    typeof error?.message === "string"
      ? error.message
      : xhr.status === 413
        ? "The file is too large for the server to accept."
        : `Upload failed (HTTP ${xhr.status}).`;
  const fieldErrors = error?.fieldErrors && typeof error.fieldErrors === "object" ? (error.fieldErrors as TFieldErrors) : {};
  return { status: xhr.status, message, fieldErrors };
}

/**
 * A file upload to a route handler with real progress. fetch() cannot report upload progress,
 * hence XMLHttpRequest. `readSuccess` turns a 2xx JSON body into the caller's result (null when
 * the body is not what the route promises, which then counts as a failure). Leaving the page
 * mid-upload stops the transfer.
 */
export function useUpload<TSuccess>(readSuccess: (body: unknown) => TSuccess | null) {
  const xhrRef = useRef<XMLHttpRequest | null>(null);
  const [phase, setPhase] = useState<TUploadPhase>({ kind: "idle" });

  useEffect(() => () => xhrRef.current?.abort(), []);

  const send = (request: TUploadRequest<TSuccess>) => {
    const xhr = new XMLHttpRequest();
    xhrRef.current = xhr;
    xhr.open("POST", request.url);
    xhr.responseType = "json";
    xhr.setRequestHeader("accept", "application/json");
    if (request.contentType) xhr.setRequestHeader("content-type", request.contentType);
    setPhase({ kind: "uploading", loaded: 0, total: request.expectedBytes });
    xhr.upload.onprogress = (progress) => {
      setPhase({ kind: "uploading", loaded: progress.loaded, total: progress.lengthComputable ? progress.total : request.expectedBytes });
    };
    xhr.upload.onload = () => setPhase({ kind: "processing" });
    xhr.onerror = () => {
      xhrRef.current = null;
      setPhase({ kind: "idle" });
      request.onFailure({ status: 0, message: "The upload did not reach the server. Check your connection and try again.", fieldErrors: {} });
    };
    xhr.onload = () => {
      xhrRef.current = null;
      const body: unknown = xhr.response;
      const result = xhr.status >= 200 && xhr.status < 300 && body ? readSuccess(body) : null;
      if (result === null) {
        setPhase({ kind: "idle" });
        request.onFailure(readFailure(xhr, body));
        return;
      }
      if (!request.stayBusyOnSuccess) setPhase({ kind: "idle" });
      request.onSuccess(result);
    };
    xhr.send(request.body);
  };

  /** Stops a running upload (true) or does nothing when none is running (false). */
  const cancel = (): boolean => {
    if (!xhrRef.current) return false;
    xhrRef.current.abort();
    xhrRef.current = null;
    setPhase({ kind: "idle" });
    toast.info("Upload cancelled");
    return true;
  };

  return {
    phase,
    busy: phase.kind !== "idle",
    send,
    cancel,
    /** For a form that starts over (e.g. its dialog opens again). */
    reset: () => setPhase({ kind: "idle" }),
  };
}
