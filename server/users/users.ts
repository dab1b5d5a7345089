import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import type { Role } from "@/server/db/generated/enums";
import { db, type TDb } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";
import { assertPasswordStrength, hashPassword } from "@/server/auth/password";
import { assertAccountPassword, normalizeEmail } from "@/server/auth/sign-in";
import { sendEvent } from "@/server/jobs/send";

const membershipRow = {
  id: true,
  role: true,
  createdAt: true,
  customer: { select: { id: true, name: true, accountNumber: true } },
  user: { select: { id: true, name: true, email: true, status: true, emailVerifiedAt: true } },
} satisfies Prisma.MembershipSelect;

export type TMembershipRow = Prisma.MembershipGetPayload<{ select: typeof membershipRow }>;

const SORTABLE = ["createdAt", "role"] as const;

export async function listTenantMembers(options: { tenantId: string; query: TPageInput }): Promise<TPage<TMembershipRow>> {
  const { tenantId, query } = options;
  const where: Prisma.MembershipWhereInput = {
    tenantId,
    ...(query.search
      ? {
          OR: [
            { user: { name: { contains: query.search, mode: "insensitive" } } },
            { user: { email: { contains: query.search, mode: "insensitive" } } },
            { customer: { name: { contains: query.search, mode: "insensitive" } } },
          ],
        }
      : {}),
  };
  const orderBy: Prisma.MembershipOrderByWithRelationInput[] =
    query.sort?.id === "name" || query.sort?.id === "email"
      ? [{ user: { [query.sort.id]: query.sort.desc ? "desc" : "asc" } }]
      : [sortOrder(query.sort, SORTABLE, { id: "createdAt", desc: false })];
  const [rows, total] = await Promise.all([
    db().membership.findMany({
      where,
      select: membershipRow,
      orderBy: [...orderBy, { id: "asc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().membership.count({ where }),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize };
}

export async function listOpenInvitations(options: { tenantId: string }) {
  return db().invitation.findMany({
    where: { tenantId: options.tenantId, acceptedAt: null, revokedAt: null },
    select: {
      id: true,
      email: true,
      role: true,
      expiresAt: true,
      createdAt: true,
      customer: { select: { id: true, name: true } },
    },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
}

/**
 * Removes someone's access to the tenant; their account stays for other tenants. A platform
 * admin's access is removed only by a platform admin, and the tenant keeps at least one
 * tenant admin.
 */
export async function removeMember(options: { tenantId: string; actor: TActor; actorRole: Role; membershipId: string }) {
  return db().$transaction(async (tx) => {
    // Locks the tenant's admin memberships first: two admins removing each other at the same
    // time would otherwise each see the other still there and leave none.
    await tx.$queryRaw`SELECT "id" FROM "memberships" WHERE "tenant_id" = ${options.tenantId}::uuid AND "role" = 'TENANT_ADMIN' FOR UPDATE`;
    const membership = await tx.membership.findFirst({
      where: { tenantId: options.tenantId, id: options.membershipId },
      select: { id: true, role: true, userId: true, customerId: true, user: { select: { email: true } } },
    });
    if (!membership) throw AppError.notFound("Member");
    if (membership.userId === options.actor.userId) {
      throw new AppError("PRECONDITION_FAILED", "You cannot remove your own access");
    }
    if (membership.role === "PLATFORM_ADMIN" && options.actorRole !== "PLATFORM_ADMIN") {
      throw new AppError("FORBIDDEN", "Only a platform admin can remove a platform admin's access");
    }
    if (membership.role === "TENANT_ADMIN") {
      const otherAdmins = await tx.membership.count({
        where: { tenantId: options.tenantId, role: "TENANT_ADMIN", id: { not: membership.id } },
      });
      if (otherAdmins === 0) {
        throw new AppError("PRECONDITION_FAILED", "This is the tenant's last tenant admin: invite another one before removing this access");
      }
    }
    return deleteMembership(tx, { tenantId: options.tenantId, actor: options.actor, membership });
  });
}

/**
 * Ends someone's access to the tenant, inside the caller's transaction, with its audit event.
 * Access ends at once: every request re-reads the membership (loadAuthContext), so the
 * person's open sessions resolve to nobody here from their next request on. Their account,
 * and its sessions with other tenants, are kept.
 */
export async function deleteMembership(
  tx: TDb,
  options: {
    tenantId: string;
    actor: TActor;
    membership: { id: string; role: Role; userId: string; customerId: string | null; user: { email: string } };
  },
) {
  const { membership } = options;
  await tx.membership.delete({ where: { id: membership.id } });
  await recordAudit(tx, {
    tenantId: options.tenantId,
    actor: options.actor,
    action: "member.removed",
    targetType: "user",
    targetId: membership.userId,
    before: { email: membership.user.email, role: membership.role, customerId: membership.customerId },
  });
  return { removed: true };
}

export const ZUpdateProfile = z.object({ name: z.string().trim().min(1, "Enter your name").max(200) });
export const ZChangePassword = z.object({ currentPassword: z.string().min(1, "Enter your current password"), newPassword: z.string() });
export const ZChangeEmail = z.object({
  email: z.email("Enter a valid email address"),
  currentPassword: z.string().min(1, "Enter your current password"),
});

export async function getProfile(userId: string) {
  return db().user.findUniqueOrThrow({
    where: { id: userId },
    select: { id: true, name: true, email: true, pendingEmail: true, emailVerifiedAt: true, createdAt: true },
  });
}

export async function updateProfile(userId: string, input: z.infer<typeof ZUpdateProfile>) {
  const { name } = ZUpdateProfile.parse(input);
  return db().user.update({ where: { id: userId }, data: { name }, select: { id: true, name: true } });
}

/** Checked like a sign-in (assertAccountPassword): guesses from a session left open are throttled. */
async function assertCurrentPassword(options: { userId: string; currentPassword: string; ip: string | null }): Promise<void> {
  const user = await db().user.findUniqueOrThrow({ where: { id: options.userId }, select: { email: true } });
  await assertAccountPassword({ email: user.email, password: options.currentPassword, ip: options.ip, field: "currentPassword", wrongPassword: "That is not your current password" });
}

/**
 * Ends every other session of the account (sessionVersion); the returned version lets the
 * caller keep the session that made the change. Reset links mailed before stop working: one
 * found later in the inbox would otherwise undo the change.
 */
export async function changePassword(userId: string, input: z.infer<typeof ZChangePassword>, options: { ip: string | null }) {
  const { currentPassword, newPassword } = ZChangePassword.parse(input);
  await assertCurrentPassword({ userId, currentPassword, ip: options.ip });
  assertPasswordStrength(newPassword, "newPassword");
  const passwordHash = await hashPassword(newPassword);
  const updated = await db().$transaction(async (tx) => {
    await tx.userToken.updateMany({ where: { userId, purpose: "RESET_PASSWORD", usedAt: null }, data: { usedAt: new Date() } });
    return tx.user.update({
      where: { id: userId },
      data: { passwordHash, sessionVersion: { increment: 1 } },
      select: { sessionVersion: true },
    });
  });
  return { changed: true, sessionVersion: updated.sessionVersion };
}

/**
 * The new address takes effect once the link mailed to it is opened. Asks for the password,
 * so a session left open on someone else's screen cannot move the account to another inbox;
 * links mailed for an earlier pending address stop working (verifyEmail checks the address).
 * Whether another account uses the address is not said here, where any signed-in person
 * could ask it of any address: only the link, opened from that inbox, finds out (verifyEmail).
 */
export async function requestEmailChange(userId: string, input: z.infer<typeof ZChangeEmail>, options: { ip: string | null }) {
  const parsed = ZChangeEmail.parse(input);
  const email = normalizeEmail(parsed.email);
  await assertCurrentPassword({ userId, currentPassword: parsed.currentPassword, ip: options.ip });
  const user = await db().user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
  if (user.email === email) throw AppError.invalidField("email", "That is already your email address");
  await db().$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { pendingEmail: email } });
    await tx.userToken.updateMany({ where: { userId, purpose: "VERIFY_EMAIL", usedAt: null }, data: { usedAt: new Date() } });
  });
  // No tenant on the event: confirmation mail is account mail, and the run would otherwise
  // show in the tenant's job list.
  await sendEvent({ name: "auth/email-verification.requested", data: { userId } });
  return { pendingEmail: email };
}
