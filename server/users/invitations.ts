import { z } from "zod";
import { db, type TDb } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { hashToken, newToken } from "@/server/security/secrets";
import { assertPasswordStrength, hashPassword } from "@/server/auth/password";
import { assertAccountPassword, normalizeEmail } from "@/server/auth/sign-in";
import { sendMail } from "@/server/mail/mailer";
import { invitationMail } from "@/server/mail/templates";
import { sendEvent } from "@/server/jobs/send";

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const ZInviteCustomerUser = z.object({
  customerId: z.uuid(),
  email: z.email("Enter a valid email address"),
  role: z.enum(["CUSTOMER_ADMIN", "CUSTOMER_USER"]),
});

export const ZInviteTenantUser = z.object({
  email: z.email("Enter a valid email address"),
  role: z.enum(["TENANT_ADMIN", "TENANT_SUPPORT"]),
});

export const ZAcceptInvitation = z.object({
  token: z.string().min(20).max(200),
  name: z.string().trim().min(1, "Enter your name").max(200),
  password: z.string(),
});

async function createInvitation(options: {
  tenantId: string;
  actor: TActor;
  email: string;
  role: "CUSTOMER_ADMIN" | "CUSTOMER_USER" | "TENANT_ADMIN" | "TENANT_SUPPORT";
  customerId: string | null;
}) {
  const email = normalizeEmail(options.email);
  // A customer's invitation looks only within that customer: a customer admin inviting
  // through the portal must not learn who else (staff, other customers) has access to the
  // tenant. Acceptance refuses such a person (acceptInvitation).
  const existing = await db().membership.findFirst({
    where: { tenantId: options.tenantId, user: { email }, ...(options.customerId ? { customerId: options.customerId } : {}) },
    select: { id: true },
  });
  if (existing) {
    throw new AppError("CONFLICT", "That person already has access to this tenant", {
      fieldErrors: { email: ["That person already has access to this tenant"] },
    });
  }
  // The token is issued when the email is sent (see deliverInvitation), so no usable
  // token ever sits in the database, an event or a job log.
  const invitation = await db().$transaction(async (tx) => {
    const created = await tx.invitation.create({
      data: {
        tenantId: options.tenantId,
        customerId: options.customerId,
        email,
        role: options.role,
        tokenHash: newToken().tokenHash,
        invitedById: options.actor.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
      select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "invitation.created",
      targetType: options.customerId ? "customer" : "tenant",
      targetId: options.customerId ?? options.tenantId,
      after: { email, role: options.role },
    });
    return created;
  });
  await sendEvent({ name: "auth/invitation.created", data: { tenantId: options.tenantId, invitationId: invitation.id } });
  return invitation;
}

export async function inviteCustomerUser(options: {
  tenantId: string;
  actor: TActor;
  invite: z.infer<typeof ZInviteCustomerUser>;
}) {
  const invite = ZInviteCustomerUser.parse(options.invite);
  const customer = await assertCustomerOpen(db(), options.tenantId, invite.customerId);
  return createInvitation({ ...options, email: invite.email, role: invite.role, customerId: customer.id });
}

/** The tenant's customer, refused once its account is closed: nobody new joins a closed account. */
async function assertCustomerOpen(client: TDb, tenantId: string, customerId: string) {
  const customer = await client.customer.findFirst({ where: { tenantId, id: customerId }, select: { id: true, status: true } });
  if (!customer) throw AppError.notFound("Customer");
  if (customer.status === "CLOSED") throw new AppError("PRECONDITION_FAILED", "The account is closed");
  return customer;
}

export async function inviteTenantUser(options: { tenantId: string; actor: TActor; invite: z.infer<typeof ZInviteTenantUser> }) {
  const invite = ZInviteTenantUser.parse(options.invite);
  return createInvitation({ ...options, email: invite.email, role: invite.role, customerId: null });
}

/**
 * An invitation still waiting for its person (not accepted, not revoked; it may have expired),
 * within the tenant and, for a customer's own admins, within their customer only.
 */
function openInvitationWhere(options: { tenantId: string; customerId?: string; invitationId: string }) {
  return {
    tenantId: options.tenantId,
    id: options.invitationId,
    acceptedAt: null,
    revokedAt: null,
    ...(options.customerId ? { customerId: options.customerId } : {}),
  };
}

/** `customerId`: a customer admin revokes only their own customer's invitations. */
export async function revokeInvitation(options: { tenantId: string; customerId?: string; actor: TActor; invitationId: string }) {
  return db().$transaction(async (tx) => {
    const result = await tx.invitation.updateMany({
      where: openInvitationWhere(options),
      data: { revokedAt: new Date() },
    });
    if (result.count === 0) throw AppError.notFound("Open invitation");
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "invitation.revoked",
      targetType: "invitation",
      targetId: options.invitationId,
    });
    return { revoked: true };
  });
}

/**
 * Mails an open invitation again, valid for another full period from now. The delivery job
 * issues a fresh token (deliverInvitation), so the link sent before stops working: only the
 * newest mail can be used. `customerId` as for revokeInvitation.
 */
export async function resendInvitation(options: { tenantId: string; customerId?: string; actor: TActor; invitationId: string }) {
  const invitation = await db().$transaction(async (tx) => {
    const open = await tx.invitation.findFirst({ where: openInvitationWhere(options), select: { id: true, email: true, customerId: true } });
    if (!open) throw AppError.notFound("Open invitation");
    if (open.customerId) await assertCustomerOpen(tx, options.tenantId, open.customerId);
    // Conditional, like revoking: an invitation accepted or revoked meanwhile is not revived.
    const extended = await tx.invitation.updateMany({
      where: openInvitationWhere(options),
      data: { expiresAt: new Date(Date.now() + INVITATION_TTL_MS) },
    });
    if (extended.count === 0) throw AppError.notFound("Open invitation");
    const updated = await tx.invitation.findUniqueOrThrow({
      where: { id: open.id },
      select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "invitation.resent",
      targetType: "invitation",
      targetId: open.id,
      after: { email: open.email, expiresAt: updated.expiresAt.toISOString() },
    });
    return updated;
  });
  await sendEvent({ name: "auth/invitation.created", data: { tenantId: options.tenantId, invitationId: invitation.id } });
  return invitation;
}

/** Issues a fresh single-use token and mails it. Run by the `auth/invitation.created` job. */
export async function deliverInvitation(options: { tenantId: string; invitationId: string }) {
  const invitation = await db().invitation.findFirst({
    where: { tenantId: options.tenantId, id: options.invitationId },
    include: { tenant: { select: { name: true, timeZone: true } }, customer: { select: { name: true } } },
  });
  if (!invitation) throw AppError.notFound("Invitation");
  if (invitation.acceptedAt || invitation.revokedAt) return { skipped: true as const };
  const { token, tokenHash } = newToken();
  await db().invitation.update({ where: { id: invitation.id }, data: { tokenHash } });
  const mail = invitationMail({
    tenantName: invitation.tenant.name,
    tenantTimeZone: invitation.tenant.timeZone,
    customerName: invitation.customer?.name ?? null,
    token,
    expiresAt: invitation.expiresAt,
  });
  const sent = await sendMail({ tenantId: invitation.tenantId, to: invitation.email, ...mail });
  return { skipped: false as const, emailId: sent.id };
}

async function findOpenInvitation(token: string) {
  const invitation = await db().invitation.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { tenant: { select: { name: true, timeZone: true } }, customer: { select: { name: true } } },
  });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt) {
    throw new AppError("NOT_FOUND", "This invitation link is not valid any more. Ask for a new invitation.");
  }
  if (invitation.expiresAt.getTime() <= Date.now()) {
    throw new AppError("PRECONDITION_FAILED", "This invitation has expired. Ask for a new invitation.");
  }
  return invitation;
}

/** `signedInUserId`: who the browser is signed in as, to say whether a password is needed. */
export async function describeInvitation(token: string, signedInUserId: string | null = null) {
  const invitation = await findOpenInvitation(token);
  const existingUser = await db().user.findUnique({ where: { email: invitation.email }, select: { id: true } });
  return {
    email: invitation.email,
    tenantName: invitation.tenant.name,
    /** The invitee is signed out: no session to read the tenant's zone from. */
    tenantTimeZone: invitation.tenant.timeZone,
    customerName: invitation.customer?.name ?? null,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
    existingUser: existingUser !== null,
    signedInAsInvitee: existingUser !== null && existingUser.id === signedInUserId,
  };
}

/**
 * The link alone never attaches access to an account that already exists: whoever holds it
 * (an admin reads invitations in the outbox when there is no SMTP, and a mailbox can be
 * forwarded) could otherwise hand the tenant's role to, or act as, someone else's account.
 * So the person proves they are that account's owner: signed in as it, or by its password,
 * checked by sign-in's authenticate so guesses are throttled like sign-ins.
 */
async function assertAccountOwner(options: { email: string; userId: string; signedInUserId: string | null; password: string; ip: string | null }) {
  if (options.signedInUserId === options.userId) return;
  if (options.password === "") {
    throw AppError.invalidField("password", "Sign in as this account first, or enter its password.");
  }
  // An unconfirmed address passes: the invitation's link confirms it below.
  await assertAccountPassword({ email: options.email, password: options.password, ip: options.ip, field: "password", wrongPassword: "That is not this account's password." });
}

/**
 * Registers the invited person, or adds the membership to their existing account once they
 * prove it is theirs (assertAccountOwner). Opening the emailed link proves the address, so
 * the email counts as verified. Single use: the conditional update lets exactly one
 * acceptance win.
 */
export async function acceptInvitation(
  input: z.infer<typeof ZAcceptInvitation>,
  options: { ip: string | null; signedInUserId: string | null },
) {
  const accept = ZAcceptInvitation.parse(input);
  const invitation = await findOpenInvitation(accept.token);
  const existingUser = await db().user.findUnique({ where: { email: invitation.email } });
  const ip = options.ip;
  if (existingUser) {
    await assertAccountOwner({ email: existingUser.email, userId: existingUser.id, signedInUserId: options.signedInUserId, password: accept.password, ip });
  } else {
    assertPasswordStrength(accept.password);
  }
  const passwordHash = existingUser ? null : await hashPassword(accept.password);
  return db().$transaction(async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { acceptedAt: new Date() },
    });
    if (claimed.count === 0) throw new AppError("CONFLICT", "This invitation was already used.");
    const user =
      existingUser ??
      (await tx.user.create({
        data: { email: invitation.email, name: accept.name, passwordHash, emailVerifiedAt: new Date() },
      }));
    if (existingUser && !existingUser.emailVerifiedAt) {
      await tx.user.update({ where: { id: existingUser.id }, data: { emailVerifiedAt: new Date() } });
    }
    // One membership per person and tenant: the invitation may have been sent to someone who
    // already has access (a customer's invitation does not check beyond its customer), or
    // the address may hold a second open invitation of the tenant.
    const member = await tx.membership.findFirst({ where: { userId: user.id, tenantId: invitation.tenantId }, select: { id: true } });
    if (member) {
      throw new AppError("CONFLICT", `You already have access to ${invitation.tenant.name}: sign in to use it. For another role there, ask one of its admins.`);
    }
    await tx.membership.create({
      data: { userId: user.id, tenantId: invitation.tenantId, role: invitation.role, customerId: invitation.customerId },
    });
    await recordAudit(tx, {
      tenantId: invitation.tenantId,
      actor: { userId: user.id, email: user.email, ip },
      action: "invitation.accepted",
      targetType: "user",
      targetId: user.id,
      after: { role: invitation.role, customerId: invitation.customerId },
    });
    return { email: user.email };
  });
}
