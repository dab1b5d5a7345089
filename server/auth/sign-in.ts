import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { burnPasswordCheck, verifyPassword } from "./password";

const WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_IP = 20;

/** One message for every way credentials can be wrong, so it reveals no account. */
export const INVALID_CREDENTIALS = "Invalid email or password.";

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function throttleRetryAfterMs(email: string, ip: string, now: Date): Promise<number | null> {
  const since = new Date(now.getTime() - WINDOW_MS);
  const [byAccount, byIp] = await Promise.all([
    db().signInAttempt.findMany({
      where: { email, succeeded: false, at: { gte: since } },
      orderBy: { at: "desc" },
      take: MAX_FAILURES_PER_ACCOUNT,
      select: { at: true },
    }),
    db().signInAttempt.findMany({
      where: { ip, succeeded: false, at: { gte: since } },
      orderBy: { at: "desc" },
      take: MAX_FAILURES_PER_IP,
      select: { at: true },
    }),
  ]);
  // Blocked until the oldest failure that counts toward the limit leaves the window.
  const waits: number[] = [];
  const oldestAccount = byAccount[MAX_FAILURES_PER_ACCOUNT - 1];
  if (oldestAccount) waits.push(oldestAccount.at.getTime() + WINDOW_MS - now.getTime());
  const oldestIp = byIp[MAX_FAILURES_PER_IP - 1];
  if (oldestIp) waits.push(oldestIp.at.getTime() + WINDOW_MS - now.getTime());
  return waits.length > 0 ? Math.max(...waits) : null;
}

/**
 * Checks credentials for the next-auth credentials provider. Throttled per account and per
 * IP; every failure (unknown email, wrong password, disabled account) reads the same.
 */
export async function authenticate(options: { email: string; password: string; ip: string; now?: Date }) {
  const email = normalizeEmail(options.email);
  const now = options.now ?? new Date();
  const retryAfterMs = await throttleRetryAfterMs(email, options.ip, now);
  if (retryAfterMs !== null) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    );
  }
  const user = await db().user.findUnique({ where: { email } });
  const valid = user?.passwordHash
    ? await verifyPassword(user.passwordHash, options.password)
    : (await burnPasswordCheck(options.password), false);
  const usable = valid && user?.status === "ACTIVE";
  await db().signInAttempt.create({ data: { email, ip: options.ip, succeeded: usable, at: now } });
  if (!usable || !user) throw new AppError("UNAUTHENTICATED", INVALID_CREDENTIALS);
  if (!user.emailVerifiedAt) {
    throw new AppError("FORBIDDEN", "Confirm your email address first: use the link we sent you, or reset your password to get a new one.");
  }
  return { id: user.id, email: user.email, name: user.name };
}
