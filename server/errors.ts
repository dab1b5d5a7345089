/**
 * The one error type domain services throw. Routers and route handlers translate it with
 * the tables below; nothing else decides how an error looks on the wire.
 */
export type TAppErrorCode =
  | "INVALID_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "PRECONDITION_FAILED"
  | "EXTERNAL_SERVICE"
  | "INTERNAL";

export type TFieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly code: TAppErrorCode;
  /** Per-field messages, so forms can show each next to its input. */
  readonly fieldErrors?: TFieldErrors;

  constructor(code: TAppErrorCode, message: string, options?: { fieldErrors?: TFieldErrors; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = options?.fieldErrors;
  }

  static notFound(what: string): AppError {
    return new AppError("NOT_FOUND", `${what} not found`);
  }

  static invalidField(field: string, message: string): AppError {
    return new AppError("INVALID_INPUT", message, { fieldErrors: { [field]: [message] } });
  }
}

export const HTTP_STATUS_BY_CODE: Record<TAppErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
  EXTERNAL_SERVICE: 502,
  INTERNAL: 500,
};

export const TRPC_CODE_BY_CODE = {
  INVALID_INPUT: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  EXTERNAL_SERVICE: "BAD_GATEWAY",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<TAppErrorCode, string>;

/** Postgres unique violations surface as CONFLICT with the constraint named for the caller. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  if (code === "P2002" || code === "23505") return true;
  // A raw query ($executeRaw, $queryRaw) fails as P2010, the driver's own code inside.
  return code === "P2010" && meta?.driverAdapterError?.cause?.originalCode === "23505";
}

/** The message of anything thrown, for logs and for errors recorded on a row. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
