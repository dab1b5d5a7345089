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

export async function loadAuthContext(userId: string, membershipId?: string): Promise<TAuthContext | null> {
  const membership = await db().membership.findFirst({
    where: {
      userId,
      ...(membershipId ? { id: membershipId } : {}),
      user: { status: "ACTIVE" },
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
