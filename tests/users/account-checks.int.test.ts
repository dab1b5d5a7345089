import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db/client";
import { authenticate, MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT } from "@/server/auth/sign-in";
import { requestPasswordReset } from "@/server/users/account-tokens";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { TEST_PASSWORD, callerAs, createWorld } from "../support/factories";
import { linkIn } from "../support/smtp";

/**
 * The security review's second round of account findings: the current-password check is
 * throttled like sign-in and does not tell who else has an account; reset links die with the
 * password or address they were mailed for; an invitation never adds a second membership.
 * No SMTP server: mail is kept in the outbox, bodies included.
 */

let runner: EmbeddedRunner;
const LINK_NOT_VALID = "This link is not valid any more. Request a new one.";

beforeAll(() => {
  delete process.env.SMTP_URL;
  runner = new EmbeddedRunner({ functions, backoffMs: () => 20 });
  setEmbeddedRunner(runner);
  // Account mail is also printed for the operator; keep the test output quiet.
  vi.spyOn(console, "info").mockImplementation(() => {});
});

afterAll(() => {
  runner.stop();
  setEmbeddedRunner(undefined);
});

async function linksTo(to: string, pathPrefix: string): Promise<string[]> {
  const mails = await db().outboundEmail.findMany({ where: { to }, orderBy: { createdAt: "asc" } });
  return mails.filter((mail) => (mail.text ?? "").includes(pathPrefix)).map((mail) => linkIn(mail.text ?? "", pathPrefix).split("/").at(-1) ?? "");
}

async function latestTokenTo(to: string, pathPrefix: string): Promise<string> {
  await runner.drain();
  const tokens = await linksTo(to, pathPrefix);
  const token = tokens.at(-1);
  if (!token) throw new Error(`no ${pathPrefix} mail to ${to}`);
  return token;
}

describe("the current password", () => {
  it("is throttled like sign-in: after five wrong guesses from one address even the right one waits", async () => {
    const world = await createWorld();
    const user = world.customerAdmin.user;
    const me = await callerAs(user.id, "198.51.100.10");
    for (let guess = 0; guess < MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT; guess += 1) {
      const attempt =
        guess % 2 === 0
          ? me.me.changePassword({ currentPassword: `wrong-guess-${guess}`, newPassword: "a-brand-new-password" })
          : me.me.requestEmailChange({ email: `moved-${guess}@example.test`, currentPassword: `wrong-guess-${guess}` });
      await expect(attempt).rejects.toMatchObject({
        code: "BAD_REQUEST",
        cause: { fieldErrors: { currentPassword: ["That is not your current password"] } },
      });
    }

    const waiting = { code: "TOO_MANY_REQUESTS", cause: { fieldErrors: { currentPassword: [expect.stringMatching(/Try again in \d+ minutes?\./)] } } };
    await expect(me.me.changePassword({ currentPassword: TEST_PASSWORD, newPassword: "a-brand-new-password" })).rejects.toMatchObject(waiting);
    await expect(me.me.requestEmailChange({ email: "moved@example.test", currentPassword: TEST_PASSWORD })).rejects.toMatchObject(waiting);
    // The guesses count for sign-in from that address too; elsewhere the owner still gets in.
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "198.51.100.10" })).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "198.51.100.11" })).resolves.toMatchObject({ id: user.id });
    expect(await db().user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ pendingEmail: null, sessionVersion: user.sessionVersion });
  });

  it("comes before anything about the new address, and whether another account uses it is not told", async () => {
    const world = await createWorld();
    const user = world.customerAdmin.user;
    const taken = world.otherCustomerAdmin.user.email;
    const me = await callerAs(user.id, "198.51.100.20");
    await expect(me.me.requestEmailChange({ email: taken, currentPassword: "not-my-password" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { fieldErrors: { currentPassword: ["That is not your current password"] } },
    });
    // With the right password an address in use reads like any other: the link is mailed there.
    await expect(me.me.requestEmailChange({ email: taken, currentPassword: TEST_PASSWORD })).resolves.toEqual({ pendingEmail: taken });

    // Only whoever opens the link from that inbox learns the address is taken.
    const token = await latestTokenTo(taken, "/verify-email/");
    await expect((await callerAs(null)).auth.verifyEmail({ token })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Another account already uses that email address.",
    });
    expect(await db().user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ email: user.email });
  });
});

describe("a password-reset link mailed earlier", () => {
  it("stops working once the password is changed", async () => {
    const world = await createWorld();
    const user = world.customerAdmin.user;
    await requestPasswordReset({ email: user.email });
    const token = await latestTokenTo(user.email, "/reset-password/");

    await (await callerAs(user.id)).me.changePassword({ currentPassword: TEST_PASSWORD, newPassword: "my-own-new-password" });
    const anonymous = await callerAs(null);
    await expect(anonymous.auth.resetPassword({ token, password: "someone-elses-password" })).rejects.toMatchObject({ code: "NOT_FOUND", message: LINK_NOT_VALID });
    await expect(authenticate({ email: user.email, password: "my-own-new-password", ip: "198.51.100.30" })).resolves.toMatchObject({ id: user.id });
  });

  it("stops working once a new address is confirmed", async () => {
    const world = await createWorld();
    const user = world.customerAdmin.user;
    const moved = `moved-${user.id.slice(0, 8)}@example.test`;
    await requestPasswordReset({ email: user.email });
    const resetToken = await latestTokenTo(user.email, "/reset-password/");

    const me = await callerAs(user.id);
    await me.me.requestEmailChange({ email: moved, currentPassword: TEST_PASSWORD });
    await me.auth.verifyEmail({ token: await latestTokenTo(moved, "/verify-email/") });
    await expect((await callerAs(null)).auth.resetPassword({ token: resetToken, password: "someone-elses-password" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: LINK_NOT_VALID,
    });
    expect(await db().user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ email: moved, sessionVersion: user.sessionVersion + 1 });
  });
});

describe("accepting an invitation", () => {
  it("refuses, with a clear conflict, a second open invitation of one tenant for one address", async () => {
    const world = await createWorld();
    const email = `twice-${world.tenant.id.slice(0, 8)}@example.test`;
    const admin = await callerAs(world.admin.user.id);
    await admin.customers.inviteUser({ customerId: world.customer.id, email, role: "CUSTOMER_USER" });
    await admin.customers.inviteUser({ customerId: world.otherCustomer.id, email, role: "CUSTOMER_ADMIN" });
    await runner.drain();
    const [first, second] = await linksTo(email, "/invite/");

    const anonymous = await callerAs(null);
    await anonymous.auth.acceptInvitation({ token: first!, name: "Invited Twice", password: "a-long-enough-password" });
    await expect(anonymous.auth.acceptInvitation({ token: second!, name: "-", password: "a-long-enough-password" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: `You already have access to ${world.tenant.name}: sign in to use it. For another role there, ask one of its admins.`,
    });
    const user = await db().user.findUniqueOrThrow({ where: { email } });
    expect(await db().membership.count({ where: { userId: user.id } })).toBe(1);
    // Refused, not used: the invitation stays open for its admins to revoke.
    expect(await db().invitation.count({ where: { tenantId: world.tenant.id, email, acceptedAt: null } })).toBe(1);
  });
});
