import { TRPCClientError } from "@trpc/client";

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
