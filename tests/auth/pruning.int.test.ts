import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db/client";
import {
  prunePasswordResetRequests,
  pruneSecurityRecords,
  pruneSignInAttempts,
  pruneUserTokens,
  RESET_REQUEST_RETENTION_MS,
  SIGN_IN_ATTEMPT_RETENTION_MS,
  USER_TOKEN_RETENTION_MS,
} from "@/server/auth/pruning";
import { ACCOUNT_WINDOW_MS, authenticate, INVALID_CREDENTIALS } from "@/server/auth/sign-in";
import { deliverPasswordReset, requestPasswordReset, resetPassword, RESET_REQUEST_INTERVAL_MS } from "@/server/users/account-tokens";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { pruneSecurityRecordsDaily } from "@/server/jobs/functions/maintenance";
import { createTenant, createUser, TEST_PASSWORD } from "../support/factories";
import { linkIn } from "../support/smtp";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const WRONG = "nope-nope-nope";
const LINK_NOT_VALID = "This link is not valid any more. Request a new one.";

let runner: EmbeddedRunner;

beforeAll(() => {
  // No SMTP: reset mail lands in the outbox, where the tests read links and count mails.
  delete process.env.SMTP_URL;
  runner = new EmbeddedRunner({
    functions: [...functions.filter((fn) => fn.id() !== pruneSecurityRecordsDaily.id()), pruneSecurityRecordsDaily],
    backoffMs: () => 20,
  });
  setEmbeddedRunner(runner);
  vi.spyOn(console, "info").mockImplementation(() => {});
});

afterAll(() => {
  runner.stop();
  setEmbeddedRunner(undefined);
});

// Each test file has its own database: counts below are exact once these start empty.
beforeEach(async () => {
  await db().signInAttempt.deleteMany();
  await db().passwordResetRequest.deleteMany();
  await db().userToken.deleteMany();
});

async function newUser() {
  const tenant = await createTenant();
  return (await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" })).user;
}

async function addToken(userId: string, values: { expiresAt: Date; usedAt?: Date | null; createdAt?: Date }) {
  return db().userToken.create({
    data: { userId, purpose: "RESET_PASSWORD", tokenHash: randomUUID(), usedAt: values.usedAt ?? null, expiresAt: values.expiresAt, createdAt: values.createdAt },
    select: { id: true },
  });
}

async function remainingAttemptEmails(): Promise<string[]> {
  const rows = await db().signInAttempt.findMany({ select: { email: true }, orderBy: { email: "asc" } });
  return rows.map((row) => row.email);
}

describe("retention", () => {
  it("is derived from the windows the rules read", () => {
    // The account hour is the furthest any sign-in check looks back.
    expect(SIGN_IN_ATTEMPT_RETENTION_MS).toBeGreaterThan(ACCOUNT_WINDOW_MS);
    expect(RESET_REQUEST_RETENTION_MS).toBeGreaterThan(RESET_REQUEST_INTERVAL_MS);
  });

  it("keeps sign-in attempts at the retention's edge and deletes those a millisecond older", async () => {
    const now = new Date("2026-10-01T12:00:00Z");
    const edge = now.getTime() - SIGN_IN_ATTEMPT_RETENTION_MS;
    await db().signInAttempt.createMany({
      data: [
        { email: "edge-failed@example.test", ip: "10.0.0.1", succeeded: false, at: new Date(edge) },
        { email: "edge-succeeded@example.test", ip: null, succeeded: true, at: new Date(edge) },
        { email: "old-failed@example.test", ip: "10.0.0.1", succeeded: false, at: new Date(edge - 1) },
        { email: "old-succeeded@example.test", ip: null, succeeded: true, at: new Date(edge - 1) },
        { email: "recent@example.test", ip: "10.0.0.2", succeeded: false, at: now },
      ],
    });
    await expect(pruneSignInAttempts({ now })).resolves.toEqual({ deleted: 2, batches: 1, done: true });
    expect(await remainingAttemptEmails()).toEqual(["edge-failed@example.test", "edge-succeeded@example.test", "recent@example.test"]);
  });

  it("keeps reset requests at the retention's edge and deletes those a millisecond older", async () => {
    const now = new Date("2026-10-01T12:00:00Z");
    const edge = now.getTime() - RESET_REQUEST_RETENTION_MS;
    await db().passwordResetRequest.createMany({
      data: [
        { email: "edge@example.test", requestedAt: new Date(edge) },
        { email: "old@example.test", requestedAt: new Date(edge - 1) },
        { email: "recent@example.test", requestedAt: now },
      ],
    });
    await expect(prunePasswordResetRequests({ now })).resolves.toEqual({ deleted: 1, batches: 1, done: true });
    const left = await db().passwordResetRequest.findMany({ orderBy: { email: "asc" } });
    expect(left.map((row) => row.email)).toEqual(["edge@example.test", "recent@example.test"]);
  });

  it("keeps open tokens and spent ones until a day after they expired or were used", async () => {
    const user = await newUser();
    const now = new Date("2026-10-01T12:00:00Z");
    const edge = now.getTime() - USER_TOKEN_RETENTION_MS;
    const kept = {
      open: await addToken(user.id, { expiresAt: new Date(now.getTime() + HOUR), createdAt: new Date(edge - 10 * HOUR) }),
      expiredAtEdge: await addToken(user.id, { expiresAt: new Date(edge) }),
      usedAtEdge: await addToken(user.id, { expiresAt: new Date(now.getTime() + HOUR), usedAt: new Date(edge) }),
    };
    const deleted = {
      expiredBefore: await addToken(user.id, { expiresAt: new Date(edge - 1) }),
      // A verification link lives a day: used long before it would have expired.
      usedBefore: await addToken(user.id, { expiresAt: new Date(now.getTime() + HOUR), usedAt: new Date(edge - 1) }),
      usedAndExpiredBefore: await addToken(user.id, { expiresAt: new Date(edge - HOUR), usedAt: new Date(edge - 2 * HOUR) }),
    };
    await expect(pruneUserTokens({ now })).resolves.toEqual({ deleted: 3, batches: 1, done: true });
    const left = await db().userToken.findMany({ select: { id: true } });
    expect(left.map((row) => row.id).sort()).toEqual(Object.values(kept).map((row) => row.id).sort());
    for (const row of Object.values(deleted)) expect(left.map((token) => token.id)).not.toContain(row.id);
  });
});

describe("batches", () => {
  const now = new Date("2026-10-02T12:00:00Z");

  it("loop until the sign-in backlog is gone, each statement bounded, skipping rows still needed", async () => {
    const old = new Date(now.getTime() - SIGN_IN_ATTEMPT_RETENTION_MS - MINUTE);
    // Interleaved, so a batch's rows are not simply the first ones by id.
    await db().signInAttempt.createMany({
      data: Array.from({ length: 10 }, (_, index) => ({
        email: `${index % 3 === 0 ? "keep" : "drop"}-${index}@example.test`,
        ip: null,
        succeeded: false,
        at: index % 3 === 0 ? now : old,
      })),
    });
    // Rows 1, 2, 4, 5, 7, 8 are old: two batches of two, stopped there; then the last two
    // and an empty batch that ends the walk.
    await expect(pruneSignInAttempts({ now, batchSize: 2, maxBatches: 2 })).resolves.toEqual({ deleted: 4, batches: 2, done: false });
    expect(await db().signInAttempt.count()).toBe(6);
    await expect(pruneSignInAttempts({ now, batchSize: 2 })).resolves.toEqual({ deleted: 2, batches: 2, done: true });
    expect(await remainingAttemptEmails()).toEqual(["keep-0@example.test", "keep-3@example.test", "keep-6@example.test", "keep-9@example.test"]);
  });

  it("loop through reset requests and tokens too, by their own keys", async () => {
    const user = await newUser();
    const oldRequest = new Date(now.getTime() - RESET_REQUEST_RETENTION_MS - MINUTE);
    await db().passwordResetRequest.createMany({
      data: Array.from({ length: 7 }, (_, index) => ({ email: `r${index}@example.test`, requestedAt: index % 2 === 0 ? oldRequest : now })),
    });
    const expired = new Date(now.getTime() - USER_TOKEN_RETENTION_MS - MINUTE);
    for (let index = 0; index < 7; index++) {
      await addToken(user.id, { expiresAt: index < 5 ? expired : new Date(now.getTime() + HOUR) });
    }
    await expect(pruneSecurityRecords({ now, batchSize: 2 })).resolves.toEqual({
      signInAttempts: { deleted: 0, batches: 1, done: true },
      passwordResetRequests: { deleted: 4, batches: 3, done: true },
      userTokens: { deleted: 5, batches: 3, done: true },
    });
    const requests = await db().passwordResetRequest.findMany({ orderBy: { email: "asc" } });
    expect(requests.map((row) => row.email)).toEqual(["r1@example.test", "r3@example.test", "r5@example.test"]);
    expect(await db().userToken.count()).toBe(2);
  });
});

/** What each attempt answered: "accepted", or the error's message. */
async function attempt(email: string, password: string, ip: string, now: Date): Promise<string> {
  return authenticate({ email, password, ip, now }).then(
    () => "accepted",
    (error: Error) => error.message,
  );
}

describe("the throttles after pruning", () => {
  /*
   * Each scenario runs twice, for two accounts: once as is, once with a prune (at the
   * attempt's own instant) before every step. The answers must be the same, and must include
   * the throttle at work, or the comparison proves nothing.
   */

  async function signInScenario(prefix: string, prune: boolean) {
    const user = await newUser();
    const start = new Date("2026-10-05T12:00:00Z").getTime();
    const steps: { at: number; ip: string; password: string }[] = [
      // Ten failures from ten addresses: the account's backoff starts.
      ...Array.from({ length: 10 }, (_, index) => ({ at: 0, ip: `${prefix}.1.${index + 1}`, password: WRONG })),
      // 50 minutes on, those ten are still the account's hour.
      { at: 50 * MINUTE, ip: `${prefix}.1.1`, password: WRONG },
      { at: 50 * MINUTE, ip: `${prefix}.1.1`, password: TEST_PASSWORD },
      { at: 50 * MINUTE, ip: `${prefix}.9.9`, password: TEST_PASSWORD },
      { at: 50 * MINUTE + 1000, ip: `${prefix}.1.2`, password: WRONG },
      // Past the hour the old failures stop counting, and that address is clean again.
      { at: 61 * MINUTE, ip: `${prefix}.1.2`, password: TEST_PASSWORD },
      // One address against one account, up to its 15 minutes.
      ...Array.from({ length: 5 }, () => ({ at: 70 * MINUTE, ip: `${prefix}.2.1`, password: WRONG })),
      { at: 84 * MINUTE, ip: `${prefix}.2.1`, password: TEST_PASSWORD },
      { at: 85 * MINUTE, ip: `${prefix}.2.1`, password: TEST_PASSWORD },
      { at: 4 * HOUR, ip: `${prefix}.1.1`, password: TEST_PASSWORD },
    ];
    const answers: string[] = [];
    let pruned = 0;
    for (const step of steps) {
      const now = new Date(start + step.at);
      if (prune) pruned += (await pruneSignInAttempts({ now })).deleted;
      answers.push(await attempt(user.email, step.password, step.ip, now));
    }
    return { answers, pruned };
  }

  it("sign-in answers the same with a prune before every attempt", async () => {
    const plain = await signInScenario("10.31", false);
    const pruned = await signInScenario("10.32", true);
    expect(pruned.answers).toEqual(plain.answers);
    expect(pruned.pruned).toBeGreaterThan(0);
    expect(plain.answers).toEqual([
      ...Array.from({ length: 10 }, () => INVALID_CREDENTIALS),
      INVALID_CREDENTIALS,
      "Too many sign-in attempts. Try again in 2 seconds.",
      "accepted",
      "Too many sign-in attempts. Try again in 1 second.",
      "accepted",
      ...Array.from({ length: 5 }, () => INVALID_CREDENTIALS),
      "Too many sign-in attempts. Try again in 1 minute.",
      "accepted",
      "accepted",
    ]);
  });

  async function resetScenario(prune: boolean) {
    const user = await newUser();
    const start = new Date("2026-10-06T12:00:00Z").getTime();
    const offsets = [0, MINUTE, 5 * MINUTE - 1000, 5 * MINUTE, 6 * MINUTE, 3 * HOUR, 3 * HOUR + MINUTE];
    const mails: number[] = [];
    let pruned = 0;
    for (const offset of offsets) {
      const now = new Date(start + offset);
      if (prune) pruned += (await prunePasswordResetRequests({ now })).deleted;
      await requestPasswordReset({ email: user.email }, now);
      await runner.drain();
      mails.push(await db().outboundEmail.count({ where: { to: user.email } }));
    }
    return { mails, pruned };
  }

  it("reset requests mail as often with a prune before every request", async () => {
    const plain = await resetScenario(false);
    const pruned = await resetScenario(true);
    expect(pruned.mails).toEqual(plain.mails);
    expect(pruned.pruned).toBeGreaterThan(0);
    expect(plain.mails).toEqual([1, 1, 1, 2, 2, 3, 3]);
  });

  async function resetLink(userId: string, email: string): Promise<string> {
    await deliverPasswordReset({ userId });
    const mail = await db().outboundEmail.findFirstOrThrow({ where: { to: email, subject: "Reset your Trunkline password" }, orderBy: { createdAt: "desc" } });
    return linkIn(mail.text ?? "", "/reset-password/").split("/").at(-1) ?? "";
  }

  it("an open link survives a prune; a spent one answers the same whether or not its row is left", async () => {
    const user = await newUser();
    const open = await resetLink(user.id, user.email);
    // Just before it expires, an hour from now, it is still there and still works.
    await pruneUserTokens({ now: new Date(Date.now() + 59 * MINUTE) });
    await expect(resetPassword({ token: open, password: "a-brand-new-password" })).resolves.toMatchObject({ email: user.email });

    await expect(resetPassword({ token: open, password: "another-new-password" })).rejects.toMatchObject({ code: "NOT_FOUND", message: LINK_NOT_VALID });
    await expect(pruneUserTokens({ now: new Date(Date.now() + USER_TOKEN_RETENTION_MS + MINUTE) })).resolves.toMatchObject({ deleted: 1 });
    expect(await db().userToken.count({ where: { userId: user.id } })).toBe(0);
    await expect(resetPassword({ token: open, password: "another-new-password" })).rejects.toMatchObject({ code: "NOT_FOUND", message: LINK_NOT_VALID });
  });
});

describe("the daily job", () => {
  it("prunes all three tables and reports what it deleted", async () => {
    const user = await newUser();
    const now = Date.now();
    await db().signInAttempt.createMany({
      data: [
        { email: "stale@example.test", ip: null, succeeded: false, at: new Date(now - SIGN_IN_ATTEMPT_RETENTION_MS - MINUTE) },
        { email: "fresh@example.test", ip: null, succeeded: false, at: new Date(now - MINUTE) },
      ],
    });
    await db().passwordResetRequest.createMany({
      data: [
        { email: "stale@example.test", requestedAt: new Date(now - RESET_REQUEST_RETENTION_MS - MINUTE) },
        { email: "fresh@example.test", requestedAt: new Date(now - MINUTE) },
      ],
    });
    await addToken(user.id, { expiresAt: new Date(now - USER_TOKEN_RETENTION_MS - MINUTE) });
    const open = await addToken(user.id, { expiresAt: new Date(now + HOUR) });

    const [runId] = await runner.fireCron("auth-prune-security-records");
    await runner.drain();
    const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId! } });
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toEqual({ signInAttempts: 1, passwordResetRequests: 1, userTokens: 1 });
    expect(await remainingAttemptEmails()).toEqual(["fresh@example.test"]);
    expect((await db().passwordResetRequest.findMany()).map((row) => row.email)).toEqual(["fresh@example.test"]);
    expect((await db().userToken.findMany({ select: { id: true } })).map((row) => row.id)).toEqual([open.id]);
  });
});
