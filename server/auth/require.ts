import type { Role } from "@/server/db/generated/enums";
import { AppError } from "@/server/errors";
import type { TAuthContext } from "./context";
import { TENANT_ROLES } from "./roles";

/** Route handlers' counterpart of tRPC's tenantProcedure: the tenant comes from the session. */
export function requireTenantRole(auth: TAuthContext | null, roles: readonly Role[] = TENANT_ROLES): TAuthContext {
  if (!auth) throw new AppError("UNAUTHENTICATED", "Sign in to continue");
  if (!roles.includes(auth.role)) throw new AppError("FORBIDDEN", "Your role does not allow this");
  return auth;
}
