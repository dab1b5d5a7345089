import type { Role } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";

/**
 * Who is acting, resolved on the server from the signed session on every request. The
 * membership is re-read each time so that removing someone takes effect at once.
 */
export type TAuthContext = {
  userId: string;
  email: string;
  name: string;
  membershipId: string;
  tenantId: string;
  tenantName: string;
  tenantCurrency: string;
  tenantTimeZone: string;
  role: Role;
  customerId: string | null;
};

/**
 * `sessionVersion` is the version a session was issued with: a session issued before the
 * account's last password reset, password change or email change (each bumps the version)
 * resolves to nobody. Sessions must pass it (currentAuth does); only callers that already
 * trust the user id (tests, server-side tools) leave it out.
 */
export async function loadAuthContext(
  userId: string,
  options: { membershipId?: string; sessionVersion?: number } = {},
): Promise<TAuthContext | null> {
  const membership = await db().membership.findFirst({
    where: {
      userId,
      ...(options.membershipId ? { id: options.membershipId } : {}),
      user: { status: "ACTIVE", ...(options.sessionVersion !== undefined ? { sessionVersion: options.sessionVersion } : {}) },
      tenant: { status: "ACTIVE" },
    },
    orderBy: { createdAt: "asc" },
    include: { user: true, tenant: true },
  });
  if (!membership) return null;
  return {
    userId: membership.userId,
    email: membership.user.email,
    name: membership.user.name,
    membershipId: membership.id,
    tenantId: membership.tenantId,
    tenantName: membership.tenant.name,
    tenantCurrency: membership.tenant.currency,
    tenantTimeZone: membership.tenant.timeZone,
    role: membership.role,
    customerId: membership.customerId,
  };
}

/** The version a new session starts with (see loadAuthContext). */
export async function currentSessionVersion(userId: string): Promise<number | null> {
  const user = await db().user.findUnique({ where: { id: userId }, select: { sessionVersion: true } });
  return user?.sessionVersion ?? null;
}
