import { z } from "zod";
import type { UserTokenPurpose } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { AppError, isUniqueViolation } from "@/server/errors";
import { hashToken, newToken } from "@/server/security/secrets";
import { assertPasswordStrength, hashPassword } from "@/server/auth/password";
import { normalizeEmail } from "@/server/auth/sign-in";
import { sendMail } from "@/server/mail/mailer";
import { emailVerificationMail, passwordResetMail } from "@/server/mail/templates";
import { sendEvent } from "@/server/jobs/send";

const TOKEN_TTL_MS: Record<UserTokenPurpose, number> = {
  RESET_PASSWORD: 60 * 60 * 1000,
  VERIFY_EMAIL: 24 * 60 * 60 * 1000,
};

export const ZRequestPasswordReset = z.object({ email: z.email("Enter a valid email address") });
export const ZResetPassword = z.object({ token: z.string().min(20).max(200), password: z.string() });

/** Same answer whether or not the email has an account. */
export async function requestPasswordReset(input: z.infer<typeof ZRequestPasswordReset>): Promise<{ requested: true }> {
  const email = normalizeEmail(ZRequestPasswordReset.parse(input).email);
  const user = await db().user.findUnique({
    where: { email },
    select: { id: true, status: true, memberships: { select: { tenantId: true }, take: 1, orderBy: { createdAt: "asc" } } },
  });
  if (user?.status === "ACTIVE") {
    await sendEvent({
      name: "auth/password-reset.requested",
      data: { userId: user.id, tenantId: user.memberships[0]?.tenantId },
    });
  }
  return { requested: true };
}

async function issueToken(userId: string, purpose: UserTokenPurpose) {
  const { token, tokenHash } = newToken();
  const expiresAt = new Date(Date.now() + TOKEN_TTL_MS[purpose]);
  await db().userToken.create({ data: { userId, purpose, tokenHash, expiresAt } });
  return { token, expiresAt };
}

/** Run by the `auth/password-reset.requested` job. */
export async function deliverPasswordReset(options: { userId: string; tenantId?: string }) {
  const user = await db().user.findUnique({ where: { id: options.userId }, select: { email: true, status: true } });
  if (!user || user.status !== "ACTIVE") return { skipped: true as const };
  const issued = await issueToken(options.userId, "RESET_PASSWORD");
  const sent = await sendMail({ tenantId: options.tenantId ?? null, to: user.email, ...passwordResetMail(issued) });
  return { skipped: false as const, emailId: sent.id };
}

/** Run by the `auth/email-verification.requested` job: mails the pending (or unverified) address. */
export async function deliverEmailVerification(options: { userId: string; tenantId?: string }) {
  const user = await db().user.findUnique({
    where: { id: options.userId },
    select: { email: true, pendingEmail: true, emailVerifiedAt: true, status: true },
  });
  if (!user || user.status !== "ACTIVE") return { skipped: true as const };
  const to = user.pendingEmail ?? (user.emailVerifiedAt ? null : user.email);
  if (!to) return { skipped: true as const };
  const issued = await issueToken(options.userId, "VERIFY_EMAIL");
  const sent = await sendMail({ tenantId: options.tenantId ?? null, to, ...emailVerificationMail(issued) });
  return { skipped: false as const, emailId: sent.id };
}

/** Marks a token used exactly once; a second use, an expired or unknown token all fail. */
async function consumeToken(token: string, purpose: UserTokenPurpose) {
  const tokenHash = hashToken(token);
  const now = new Date();
  const claimed = await db().userToken.updateMany({
    where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (claimed.count === 0) {
    throw new AppError("NOT_FOUND", "This link is not valid any more. Request a new one.");
  }
  const row = await db().userToken.findUniqueOrThrow({ where: { tokenHash }, select: { userId: true } });
  return row.userId;
}

export async function resetPassword(input: z.infer<typeof ZResetPassword>) {
  const { token, password } = ZResetPassword.parse(input);
  assertPasswordStrength(password);
  const passwordHash = await hashPassword(password);
  const userId = await consumeToken(token, "RESET_PASSWORD");
  // The link reached the inbox, which also proves the address.
  const user = await db().user.update({
    where: { id: userId },
    data: { passwordHash, emailVerifiedAt: new Date() },
    select: { email: true },
  });
  await db().userToken.updateMany({
    where: { userId, purpose: "RESET_PASSWORD", usedAt: null },
    data: { usedAt: new Date() },
  });
  return { email: user.email };
}

export async function verifyEmail(token: string) {
  const userId = await consumeToken(token, "VERIFY_EMAIL");
  const user = await db().user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, pendingEmail: true } });
  try {
    const updated = await db().user.update({
      where: { id: userId },
      data: { email: user.pendingEmail ?? user.email, pendingEmail: null, emailVerifiedAt: new Date() },
      select: { email: true },
    });
    return { email: updated.email };
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", "Another account already uses that email address.");
    throw error;
  }
}
