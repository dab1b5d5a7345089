import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db, type TDb } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { CUSTOMER_ROLES, type TCustomerRole } from "@/server/auth/roles";
import { normalizeEmail } from "@/server/auth/sign-in";
import { ZInviteCustomerUser, inviteCustomerUser } from "@/server/users/invitations";
import { deleteMembership } from "@/server/users/users";

/**
 * A customer admin managing the people of their own customer account (the portal's Users
 * page). Every function takes the tenant and the customer from the caller's session, never
 * from input: the invitation, role and removal can only ever touch that one customer.
 */

type TScope = { tenantId: string; customerId: string };

/**
 * Only the email and a customer role: strict, so an input that names a customer (or anything
 * else) is refused rather than quietly ignored; the customer is the session's.
 */
export const ZInviteColleague = ZInviteCustomerUser.omit({ customerId: true }).strict();

export const ZChangeColleagueRole = z.object({ membershipId: z.uuid(), role: z.enum(CUSTOMER_ROLES) });

export type TCustomerAccessStatus = "ACTIVE" | "DISABLED" | "INVITED" | "EXPIRED";

export type TCustomerAccessRow = {
  /** A member has access now; an invitation is waiting for its person (or has expired). */
  kind: "member" | "invitation";
  /** The membership's id for a member, the invitation's id for an invitation. */
  id: string;
  name: string | null;
  email: string;
  role: TCustomerRole;
  status: TCustomerAccessStatus;
  /** Joined (member) or last sent (invitation). */
  since: Date;
  expiresAt: Date | null;
  /** The signed-in admin's own row: the page offers no remove or role change on it. */
  isSelf: boolean;
};

const MAX_ROWS = 500;

/** The customer's people (members first, by name) and its open invitations, newest first. */
export async function listCustomerAccess(options: TScope & { userId: string }): Promise<{ rows: TCustomerAccessRow[] }> {
  const { tenantId, customerId } = options;
  const asOf = new Date();
  const [members, invitations] = await Promise.all([
    db().membership.findMany({
      where: { tenantId, customerId, role: { in: [...CUSTOMER_ROLES] } },
      select: { id: true, role: true, createdAt: true, user: { select: { id: true, name: true, email: true, status: true } } },
      orderBy: [{ user: { name: "asc" } }, { user: { email: "asc" } }],
      take: MAX_ROWS,
    }),
    db().invitation.findMany({
      where: { tenantId, customerId, acceptedAt: null, revokedAt: null, role: { in: [...CUSTOMER_ROLES] } },
      select: { id: true, email: true, role: true, createdAt: true, expiresAt: true },
      orderBy: { createdAt: "desc" },
      take: MAX_ROWS,
    }),
  ]);
  const rows: TCustomerAccessRow[] = [
    ...members.map((member) => ({
      kind: "member" as const,
      id: member.id,
      name: member.user.name,
      email: member.user.email,
      role: member.role as TCustomerRole,
      status: member.user.status === "ACTIVE" ? ("ACTIVE" as const) : ("DISABLED" as const),
      since: member.createdAt,
      expiresAt: null,
      isSelf: member.user.id === options.userId,
    })),
    ...invitations.map((invitation) => ({
      kind: "invitation" as const,
      id: invitation.id,
      name: null,
      email: invitation.email,
      role: invitation.role as TCustomerRole,
      status: invitation.expiresAt.getTime() <= asOf.getTime() ? ("EXPIRED" as const) : ("INVITED" as const),
      since: invitation.createdAt,
      expiresAt: invitation.expiresAt,
      isSelf: false,
    })),
  ];
  return { rows };
}

/** Invites a colleague to the session's customer, through the same invitation, mail and acceptance as staff use. */
export async function inviteColleague(options: TScope & { actor: TActor; invite: z.infer<typeof ZInviteColleague> }) {
  const invite = ZInviteColleague.parse(options.invite);
  const email = normalizeEmail(invite.email);
  // A second open invitation would leave two live links for one person; the open one can be sent again.
  const open = await db().invitation.findFirst({
    where: { tenantId: options.tenantId, customerId: options.customerId, email, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    select: { id: true },
  });
  if (open) {
    throw new AppError("CONFLICT", "An invitation to this address is already open: send it again from the list", {
      fieldErrors: { email: ["An invitation to this address is already open: send it again from the list"] },
    });
  }
  return inviteCustomerUser({
    tenantId: options.tenantId,
    actor: options.actor,
    invite: { customerId: options.customerId, email: invite.email, role: invite.role },
  });
}

const colleagueSelect = {
  id: true,
  role: true,
  userId: true,
  customerId: true,
  user: { select: { email: true } },
} satisfies Prisma.MembershipSelect;

/**
 * Loads the colleague a change is about, after locking the customer's admin memberships.
 * Two admins changing each other at the same moment (each demoting or removing the other)
 * would otherwise each still see the other as an admin and leave the account with none; with
 * the lock the second waits, then reads the first one's result. Then refuses: a colleague of
 * another customer (not found); an actor who is no longer one of its active customer admins
 * (the session's role was read before the lock, and a concurrent change may have demoted or
 * removed them since: this is what stops the second of two admins demoting each other); the
 * actor's own access; and, as the invariant itself, the account's last active customer admin.
 */
async function lockColleagueForChange(tx: TDb, options: TScope & { actor: TActor; membershipId: string; demotesAdmin: boolean }) {
  const { tenantId, customerId } = options;
  await tx.$queryRaw`SELECT "id" FROM "memberships" WHERE "tenant_id" = ${tenantId}::uuid AND "customer_id" = ${customerId}::uuid AND "role" = 'CUSTOMER_ADMIN' ORDER BY "id" FOR UPDATE`;
  const membership = await tx.membership.findFirst({
    where: { tenantId, customerId, id: options.membershipId, role: { in: [...CUSTOMER_ROLES] } },
    select: colleagueSelect,
  });
  if (!membership) throw AppError.notFound("User");
  const actorIsAdmin = options.actor.userId
    ? await tx.membership.count({ where: { tenantId, customerId, userId: options.actor.userId, role: "CUSTOMER_ADMIN", user: { status: "ACTIVE" } } })
    : 0;
  if (actorIsAdmin === 0) throw new AppError("FORBIDDEN", "You are no longer a customer admin of this account");
  if (membership.userId === options.actor.userId) {
    throw new AppError("PRECONDITION_FAILED", "You cannot remove your own access or change your own role: ask another customer admin");
  }
  if (membership.role === "CUSTOMER_ADMIN" && options.demotesAdmin) {
    const otherAdmins = await tx.membership.count({
      where: { tenantId, customerId, role: "CUSTOMER_ADMIN", id: { not: membership.id }, user: { status: "ACTIVE" } },
    });
    if (otherAdmins === 0) {
      throw new AppError("PRECONDITION_FAILED", "The account must keep at least one active customer admin");
    }
  }
  return membership;
}

export async function changeColleagueRole(options: TScope & { actor: TActor; change: z.infer<typeof ZChangeColleagueRole> }) {
  const change = ZChangeColleagueRole.parse(options.change);
  return db().$transaction(async (tx) => {
    const membership = await lockColleagueForChange(tx, { ...options, membershipId: change.membershipId, demotesAdmin: change.role !== "CUSTOMER_ADMIN" });
    if (membership.role === change.role) return { membershipId: membership.id, role: change.role, changed: false };
    await tx.membership.update({ where: { id: membership.id }, data: { role: change.role } });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "member.role_changed",
      targetType: "user",
      targetId: membership.userId,
      before: { email: membership.user.email, role: membership.role, customerId: membership.customerId },
      after: { email: membership.user.email, role: change.role, customerId: membership.customerId },
    });
    return { membershipId: membership.id, role: change.role, changed: true };
  });
}

/** Ends a colleague's access to this customer (and so their sessions' ability to act here); their account is kept. */
export async function removeColleague(options: TScope & { actor: TActor; membershipId: string }) {
  return db().$transaction(async (tx) => {
    const membership = await lockColleagueForChange(tx, { ...options, demotesAdmin: true });
    return deleteMembership(tx, { tenantId: options.tenantId, actor: options.actor, membership });
  });
}
