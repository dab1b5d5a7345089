import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { UserTokenPurpose } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { AppError, isUniqueViolation } from "@/server/errors";
import { hashToken, newToken } from "@/server/security/secrets";
import { assertPasswordStrength, hashPassword } from "@/server/auth/password";
import { normalizeEmail } from "@/server/auth/sign-in";
import { sendAccountMail } from "@/server/mail/mailer";
import { emailVerificationMail, passwordResetMail } from "@/server/mail/templates";
import { sendEvent } from "@/server/jobs/send";

const TOKEN_TTL_MS: Record<UserTokenPurpose, number> = {
  RESET_PASSWORD: 60 * 60 * 1000,
  VERIFY_EMAIL: 24 * 60 * 60 * 1000,
};

/** At most one reset mail per address in this window, however often the form is sent. */
export const RESET_REQUEST_INTERVAL_MS = 5 * 60 * 1000;

const LINK_NOT_VALID = "This link is not valid any more. Request a new one.";

export const ZRequestPasswordReset = z.object({ email: z.email("Enter a valid email address") });
export const ZResetPassword = z.object({ token: z.string().min(20).max(200), password: z.string() });

/**
 * Same answer, and the same work, whether or not the email has an account: the job is
 * queued either way (with an id no user has when there is none) and finds out for itself,
 * so neither the response nor its timing tells who has an account. Throttled per address
 * before anything else, for known and unknown addresses alike.
 */
export async function requestPasswordReset(
  input: z.infer<typeof ZRequestPasswordReset>,
  now: Date = new Date(),
): Promise<{ requested: true }> {
  const email = normalizeEmail(ZRequestPasswordReset.parse(input).email);
  // One statement claims the address's window, so concurrent requests yield one mail.
  const claimed = await db().$executeRaw`
    INSERT INTO "password_reset_requests" ("email", "requested_at") VALUES (${email}, ${now})
    ON CONFLICT ("email") DO UPDATE SET "requested_at" = EXCLUDED."requested_at"
    WHERE "password_reset_requests"."requested_at" <= ${new Date(now.getTime() - RESET_REQUEST_INTERVAL_MS)}`;
  if (claimed === 0) return { requested: true };
  const user = await db().user.findUnique({ where: { email }, select: { id: true } });
  // No tenant on the event: the run would otherwise show in that tenant's job list.
  await sendEvent({ name: "auth/password-reset.requested", data: { userId: user?.id ?? randomUUID() } });
  return { requested: true };
}

async function issueToken(userId: string, purpose: UserTokenPurpose, email: string | null = null) {
  const { token, tokenHash } = newToken();
  const expiresAt = new Date(Date.now() + TOKEN_TTL_MS[purpose]);
  await db().userToken.create({ data: { userId, purpose, tokenHash, email, expiresAt } });
  return { token, expiresAt };
}

/**
 * Run by the `auth/password-reset.requested` job; an id without an active user is skipped.
 * A tenant named by the event is ignored: reset mail is account mail (sendAccountMail).
 */
export async function deliverPasswordReset(options: { userId: string; tenantId?: string }) {
  const user = await db().user.findUnique({ where: { id: options.userId }, select: { email: true, status: true } });
  if (!user || user.status !== "ACTIVE") return { skipped: true as const };
  const issued = await issueToken(options.userId, "RESET_PASSWORD");
  const sent = await sendAccountMail({ to: user.email, ...passwordResetMail(issued) });
  return { skipped: false as const, emailId: sent.id };
}

/**
 * Run by the `auth/email-verification.requested` job: mails the pending (or unverified)
 * address, and the token records that address, the only one it can confirm.
 */
export async function deliverEmailVerification(options: { userId: string; tenantId?: string }) {
  const user = await db().user.findUnique({
    where: { id: options.userId },
    select: { email: true, pendingEmail: true, emailVerifiedAt: true, status: true },
  });
  if (!user || user.status !== "ACTIVE") return { skipped: true as const };
  const to = user.pendingEmail ?? (user.emailVerifiedAt ? null : user.email);
  if (!to) return { skipped: true as const };
  const issued = await issueToken(options.userId, "VERIFY_EMAIL", to);
  const sent = await sendAccountMail({ to, ...emailVerificationMail(issued) });
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
  if (claimed.count === 0) throw new AppError("NOT_FOUND", LINK_NOT_VALID);
  return db().userToken.findUniqueOrThrow({ where: { tokenHash }, select: { userId: true, email: true } });
}

/** Also ends every session of the account (sessionVersion), wherever it was signed in. */
export async function resetPassword(input: z.infer<typeof ZResetPassword>) {
  const { token, password } = ZResetPassword.parse(input);
  assertPasswordStrength(password);
  const passwordHash = await hashPassword(password);
  const { userId } = await consumeToken(token, "RESET_PASSWORD");
  // The link reached the inbox, which also proves the address.
  const user = await db().user.update({
    where: { id: userId },
    data: { passwordHash, emailVerifiedAt: new Date(), sessionVersion: { increment: 1 } },
    select: { email: true },
  });
  await db().userToken.updateMany({
    where: { userId, purpose: "RESET_PASSWORD", usedAt: null },
    data: { usedAt: new Date() },
  });
  return { email: user.email };
}

/**
 * Confirms the address the link was mailed to, and only while it is still the one pending
 * (or is the account's own, unconfirmed address): a link mailed to an address the person has
 * since replaced confirms nothing. A changed address ends the account's sessions and its open
 * reset links; `userId` and `sessionVersion` let the caller keep the confirming browser signed in.
 */
export async function verifyEmail(token: string): Promise<{ email: string; userId: string; sessionVersion: number | null }> {
  const { userId, email: target } = await consumeToken(token, "VERIFY_EMAIL");
  if (!target) throw new AppError("NOT_FOUND", LINK_NOT_VALID);
  try {
    return await db().$transaction(async (tx) => {
      const now = new Date();
      const changed = await tx.user.updateMany({
        where: { id: userId, pendingEmail: target },
        data: { email: target, pendingEmail: null, emailVerifiedAt: now, sessionVersion: { increment: 1 } },
      });
      if (changed.count === 1) {
        // Reset links went to the old address, which may not be the owner's any more.
        await tx.userToken.updateMany({
          where: { userId, purpose: { in: ["VERIFY_EMAIL", "RESET_PASSWORD"] }, usedAt: null },
          data: { usedAt: now },
        });
        const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { sessionVersion: true } });
        return { email: target, userId, sessionVersion: user.sessionVersion };
      }
      const confirmed = await tx.user.updateMany({ where: { id: userId, email: target }, data: { emailVerifiedAt: now } });
      if (confirmed.count === 1) return { email: target, userId, sessionVersion: null };
      throw new AppError("NOT_FOUND", LINK_NOT_VALID);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", "Another account already uses that email address.");
    throw error;
  }
}
