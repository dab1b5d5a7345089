import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Role } from "@/server/db/generated/enums";
import type { TAuthContext } from "@/server/auth/context";
import type { TActor } from "@/server/audit/audit";
import { CUSTOMER_ROLES, TENANT_ROLES } from "@/server/auth/roles";
import { AppError, TRPC_CODE_BY_CODE, type TFieldErrors } from "@/server/errors";

export type TContext = { auth: TAuthContext | null; ip: string | null };

function fieldErrorsOf(error: unknown): TFieldErrors | null {
  if (error instanceof AppError) return error.fieldErrors ?? null;
  if (error instanceof ZodError) {
    const fields: TFieldErrors = {};
    for (const issue of error.issues) {
      const key = issue.path.map(String).join(".") || "_form";
      (fields[key] ??= []).push(issue.message);
    }
    return fields;
  }
  return null;
}

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  // The single place an AppError or a validation error becomes a tRPC response: forms get
  // `fieldErrors` keyed by field; unexpected errors never leak their message.
  errorFormatter({ shape, error }) {
    const fieldErrors = fieldErrorsOf(error.cause);
    const expected = error.cause instanceof AppError || error.cause instanceof ZodError || error.code !== "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: expected ? shape.message : "Something went wrong. Try again, and tell support if it keeps happening.",
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, fieldErrors },
    };
  },
});

/** Converts errors thrown by domain services into tRPC errors with the mapped code. */
const translateErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) {
      throw new TRPCError({ code: TRPC_CODE_BY_CODE[cause.code], message: cause.message, cause });
    }
    if (cause instanceof ZodError) {
      throw new TRPCError({ code: "BAD_REQUEST", message: cause.issues[0]?.message ?? "Invalid input", cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      console.error("[trpc] unexpected error:", cause ?? result.error);
    }
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(translateErrors);

function actorOf(auth: TAuthContext, ip: string | null): TActor {
  return { userId: auth.userId, email: auth.email, ip };
}

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.auth) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue" });
  return next({ ctx: { auth: ctx.auth, actor: actorOf(ctx.auth, ctx.ip) } });
});

/**
 * Tenant staff. `ctx.tenantId` comes from the session's membership, never from input;
 * every service call below receives it and filters by it.
 */
export function tenantProcedure(roles: readonly Role[] = TENANT_ROLES) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!roles.includes(ctx.auth.role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Your role does not allow this" });
    }
    return next({ ctx: { tenantId: ctx.auth.tenantId } });
  });
}

/** A customer's own users: `ctx.customerId` is the customer their membership names. */
export function customerProcedure(roles: readonly Role[] = CUSTOMER_ROLES) {
  return authedProcedure.use(({ ctx, next }) => {
    const customerId = ctx.auth.customerId;
    if (!roles.includes(ctx.auth.role) || !customerId) {
      throw new TRPCError({ code: "FORBIDDEN", message: "This is for customer accounts" });
    }
    return next({ ctx: { tenantId: ctx.auth.tenantId, customerId } });
  });
}
