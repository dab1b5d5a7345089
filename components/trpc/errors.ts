import { TRPCClientError } from "@trpc/client";
import { toast } from "@/components/ui/toast";

export type TFieldErrors = Record<string, string[]>;

/** The errors without the one of a field being edited (the same object when it had none, so no re-render). */
export function withoutFieldError(errors: TFieldErrors, field: string): TFieldErrors {
  if (!errors[field]) return errors;
  const next = { ...errors };
  delete next[field];
  return next;
}

/** Per-field messages the server attached (AppError or zod), keyed by field path. */
export function fieldErrorsOf(error: unknown): TFieldErrors {
  if (error instanceof TRPCClientError) {
    const data = error.data as { fieldErrors?: TFieldErrors | null } | undefined;
    return data?.fieldErrors ?? {};
  }
  return {};
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong";
}

/** The tRPC error code ("NOT_FOUND", "FORBIDDEN", "PRECONDITION_FAILED"…) of a failed call. */
export function errorCodeOf(error: unknown): string | null {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: unknown } | undefined;
    return typeof data?.code === "string" ? data.code : null;
  }
  return null;
}

/** A role that may not do this will not be able to retry either: the dialog can close. */
export function isForbidden(error: unknown): boolean {
  return errorCodeOf(error) === "FORBIDDEN";
}

/**
 * Maps server field errors onto the fields a form shows. Keys may be nested
 * ("fields.carrierId", "fields.ipAcl.2"): the first segment the form knows names the field,
 * and a numeric segment after it (a list index) becomes "Entry n: …". Whatever the form
 * cannot show inline is toasted, so no message is lost.
 */
export function mapFieldErrors(raw: TFieldErrors, fields: readonly string[]): { inline: TFieldErrors; rest: string[] } {
  const inline: TFieldErrors = {};
  const rest: string[] = [];
  for (const [key, messages] of Object.entries(raw)) {
    const segments = key.split(".");
    const index = segments.findIndex((segment) => fields.includes(segment));
    const field = index >= 0 ? segments[index] : undefined;
    if (!field) {
      rest.push(...messages);
      continue;
    }
    const position = segments[index + 1];
    const prefix = position !== undefined && /^\d+$/.test(position) ? `Entry ${Number(position) + 1}: ` : "";
    (inline[field] ??= []).push(...messages.map((message) => `${prefix}${message}`));
  }
  return { inline, rest };
}

/** Inline errors for a failed mutation; a toast when none of them belongs to a shown field. */
export function formErrorsOf(error: unknown, fields: readonly string[]): TFieldErrors {
  const { inline } = mapFieldErrors(fieldErrorsOf(error), fields);
  if (Object.keys(inline).length === 0) toast.error(messageOf(error));
  return inline;
}

export function toastError(error: unknown): void {
  toast.error(messageOf(error));
}

/**
 * Server field errors gathered under a form's own inputs: a key such as "topUpPresets.2" (one
 * item of a list) goes to its input, "topUpPresets". Keys of no input are left out; the
 * caller shows the error's message instead.
 */
export function inlineFieldErrors(raw: TFieldErrors, fields: readonly string[]): TFieldErrors {
  const inline: TFieldErrors = {};
  for (const [key, messages] of Object.entries(raw)) {
    const field = fields.find((name) => key === name || key.startsWith(`${name}.`));
    if (field) (inline[field] ??= []).push(...messages);
  }
  return inline;
}
