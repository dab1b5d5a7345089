import { TRPCClientError } from "@trpc/client";
import { fieldErrorsOf, messageOf, type TFieldErrors } from "@/components/trpc/errors";
import { toast } from "@/components/ui/toast";

/** The tRPC error code ("NOT_FOUND", "FORBIDDEN", …) of a failed call, if it is one. */
export function errorCodeOf(error: unknown): string | null {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: unknown } | undefined;
    return typeof data?.code === "string" ? data.code : null;
  }
  return null;
}

/**
 * Splits a failed mutation into inline messages for the fields the form shows and a toast
 * for the rest. Server keys may be nested ("fields.accountNumber"); the last segment is used.
 */
export function formErrorsOf(error: unknown, fields: readonly string[]): TFieldErrors {
  const inline: TFieldErrors = {};
  for (const [key, messages] of Object.entries(fieldErrorsOf(error))) {
    const field = key.split(".").pop() ?? key;
    if (fields.includes(field)) (inline[field] ??= []).push(...messages);
  }
  if (Object.keys(inline).length === 0) toast.error(messageOf(error));
  return inline;
}

/** A role that may not do this will not be able to retry either: the dialog can close. */
export function isForbidden(error: unknown): boolean {
  return errorCodeOf(error) === "FORBIDDEN";
}

export function toastError(error: unknown): void {
  toast.error(messageOf(error));
}
