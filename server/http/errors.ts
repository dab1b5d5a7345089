import { ZodError } from "zod";
import { AppError, HTTP_STATUS_BY_CODE } from "@/server/errors";

/** The HTTP face of an error, for route handlers (tRPC has its own, from the same table). */
export function errorResponse(error: unknown): Response {
  if (error instanceof AppError) {
    return Response.json(
      { error: { code: error.code, message: error.message, fieldErrors: error.fieldErrors ?? null } },
      { status: HTTP_STATUS_BY_CODE[error.code] },
    );
  }
  if (error instanceof ZodError) {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of error.issues) (fieldErrors[issue.path.join(".") || "_form"] ??= []).push(issue.message);
    return Response.json({ error: { code: "INVALID_INPUT", message: error.issues[0]?.message ?? "Invalid input", fieldErrors } }, { status: 400 });
  }
  console.error("[http] unexpected error:", error);
  return Response.json({ error: { code: "INTERNAL", message: "Something went wrong" } }, { status: 500 });
}

/** 405 for a method a route does not serve, naming the ones it does. */
export function methodNotAllowed(allow: string): Response {
  return Response.json(
    { error: { code: "METHOD_NOT_ALLOWED", message: `Use ${allow} for this address` } },
    { status: 405, headers: { allow } },
  );
}
