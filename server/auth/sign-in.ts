import { db, type TTransaction } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { burnPasswordCheck, verifyPassword } from "./password";

/*
 * Sign-in throttling. Goals: guessing one account's password stays slow however many
 * addresses the guesser has, and a guesser cannot lock the real user out.
 *
 * 1. Per address and account (strict): 5 failures in 15 minutes and that address may not try
 *    that account again until the oldest of them is 15 minutes old.
 * 2. Per address (credential stuffing): 20 failures in 15 minutes across any accounts and
 *    that address is refused for every account. Only the guesser's own address (or one it
 *    shares, such as a NAT) is affected.
 * 3. Per account (loose, with backoff): the first 10 failures in an hour cost nothing more;
 *    after them each attempt waits 1 s, 2 s, 4 s … (at most 15 minutes) after the latest
 *    failure. The wait does not apply to an address with no failure for this account in that
 *    hour: there the password is checked, so the real user signing in from their own address
 *    gets in while someone else hammers the account. Such an address gets one check before
 *    it too has failed, so a guesser with many addresses gains one guess per address.
 *
 * An unknown address (no trusted proxy, server/auth/client-ip.ts) counts only under rule 3,
 * and never as one without failures: the account's backoff then applies to everyone.
 *
 * Counting is atomic: under per-account and per-address advisory locks each attempt is
 * checked and recorded as a failure *before* the password is verified, and turned into a
 * success afterwards; parallel attempts therefore see each other and cannot all slip under a
 * limit. The locks are held for the check and the insert only, not across argon2, so a flood
 * against one account does not tie up the connection pool. Refused attempts are not recorded:
 * they cannot extend anyone's wait.
 */
export const ADDRESS_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
export const ACCOUNT_WINDOW_MS = 60 * 60 * 1000;
export const FREE_FAILURES_PER_ACCOUNT = 10;
const FIRST_ACCOUNT_DELAY_MS = 1000;
const MAX_ACCOUNT_DELAY_MS = 15 * 60 * 1000;

/** One message for every way credentials can be wrong, so it reveals no account. */
export const INVALID_CREDENTIALS = "Invalid email or password.";

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** How long the account's backoff lasts after its latest failure, given the failures in the hour. */
function accountDelayMs(failures: number): number {
  if (failures < FREE_FAILURES_PER_ACCOUNT) return 0;
  const doublings = Math.min(failures - FREE_FAILURES_PER_ACCOUNT, 30);
  return Math.min(MAX_ACCOUNT_DELAY_MS, FIRST_ACCOUNT_DELAY_MS * 2 ** doublings);
}

async function retryAfterMs(tx: TTransaction, email: string, ip: string | null, now: Date): Promise<number | null> {
  const accountSince = new Date(now.getTime() - ACCOUNT_WINDOW_MS);
  const addressSince = now.getTime() - ADDRESS_WINDOW_MS;
  const waits: number[] = [];

  const byPair = ip
    ? await tx.signInAttempt.findMany({
        where: { email, ip, succeeded: false, at: { gte: accountSince } },
        orderBy: { at: "desc" },
        take: MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT,
        select: { at: true },
      })
    : [];
  const oldestPair = byPair[MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT - 1];
  if (oldestPair && oldestPair.at.getTime() >= addressSince) waits.push(oldestPair.at.getTime() + ADDRESS_WINDOW_MS - now.getTime());

  if (ip) {
    const byAddress = await tx.signInAttempt.findMany({
      where: { ip, succeeded: false, at: { gte: new Date(addressSince) } },
      orderBy: { at: "desc" },
      take: MAX_FAILURES_PER_ADDRESS,
      select: { at: true },
    });
    const oldestAddress = byAddress[MAX_FAILURES_PER_ADDRESS - 1];
    if (oldestAddress) waits.push(oldestAddress.at.getTime() + ADDRESS_WINDOW_MS - now.getTime());
  }

  const addressWithoutFailures = ip !== null && byPair.length === 0;
  if (!addressWithoutFailures) {
    const accountFailures = await tx.signInAttempt.count({ where: { email, succeeded: false, at: { gte: accountSince } } });
    const delay = accountDelayMs(accountFailures);
    if (delay > 0) {
      const latest = await tx.signInAttempt.findFirst({
        where: { email, succeeded: false, at: { gte: accountSince } },
        orderBy: { at: "desc" },
        select: { at: true },
      });
      if (latest) waits.push(latest.at.getTime() + delay - now.getTime());
    }
  }

  const wait = Math.max(0, ...waits);
  return wait > 0 ? wait : null;
}

/** Checks the limits and, if the attempt may go ahead, records it as a failure until proven otherwise. */
async function reserveAttempt(email: string, ip: string | null, now: Date): Promise<{ attemptId: bigint } | { retryAfterMs: number }> {
  return db().$transaction(async (tx) => {
    // Always the account's lock first, then the address's: no two attempts wait for each other in a cycle.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-in:account:${email}`}, 0))`;
    if (ip) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-in:address:${ip}`}, 0))`;
    const wait = await retryAfterMs(tx, email, ip, now);
    if (wait !== null) return { retryAfterMs: wait };
    const attempt = await tx.signInAttempt.create({ data: { email, ip, succeeded: false, at: now }, select: { id: true } });
    return { attemptId: attempt.id };
  });
}

function tooManyAttempts(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const wait =
    seconds < 60
      ? `${seconds} second${seconds === 1 ? "" : "s"}`
      : `${Math.ceil(seconds / 60)} minute${Math.ceil(seconds / 60) === 1 ? "" : "s"}`;
  return new AppError("TOO_MANY_REQUESTS", `Too many sign-in attempts. Try again in ${wait}.`);
}

/**
 * Checks credentials for the next-auth credentials provider, throttled as described above;
 * every failure (unknown email, wrong password, disabled account) reads the same.
 */
export async function authenticate(options: { email: string; password: string; ip: string | null; now?: Date }) {
  const email = normalizeEmail(options.email);
  const now = options.now ?? new Date();
  const reservation = await reserveAttempt(email, options.ip, now);
  if ("retryAfterMs" in reservation) throw tooManyAttempts(reservation.retryAfterMs);
  const user = await db().user.findUnique({ where: { email } });
  const valid = user?.passwordHash
    ? await verifyPassword(user.passwordHash, options.password)
    : (await burnPasswordCheck(options.password), false);
  const usable = valid && user?.status === "ACTIVE";
  if (!usable || !user) throw new AppError("UNAUTHENTICATED", INVALID_CREDENTIALS);
  await db().signInAttempt.update({ where: { id: reservation.attemptId }, data: { succeeded: true } });
  if (!user.emailVerifiedAt) {
    throw new AppError("FORBIDDEN", "Confirm your email address first: use the link we sent you, or reset your password to get a new one.");
  }
  return { id: user.id, email: user.email, name: user.name };
}

/**
 * Checks an account's password where a signed-in or invited person must prove it (a password or
 * address change, an invitation accepted for an existing account): through authenticate, so
 * wrong guesses count against the sign-in throttle. The answers belong to `field`: a wrong
 * password says `wrongPassword`, a lockout says how long to wait. An unconfirmed address is
 * refused by authenticate only once the password matched, so it passes here.
 */
export async function assertAccountPassword(options: { email: string; password: string; ip: string | null; field: string; wrongPassword: string }): Promise<void> {
  try {
    await authenticate({ email: options.email, password: options.password, ip: options.ip });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === "FORBIDDEN") return;
    if (error.code === "UNAUTHENTICATED") throw AppError.invalidField(options.field, options.wrongPassword);
    if (error.code === "TOO_MANY_REQUESTS") throw new AppError("TOO_MANY_REQUESTS", error.message, { fieldErrors: { [options.field]: [error.message] } });
    throw error;
  }
}
