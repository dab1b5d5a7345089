import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { JWT } from "next-auth/jwt";
import { db } from "@/server/db/client";
import { loadAuthContext } from "@/server/auth/context";
import { authOptions, readSessionTicket, sessionTicket } from "@/server/auth/options";
import { requestPasswordReset, RESET_REQUEST_INTERVAL_MS } from "@/server/users/account-tokens";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { TEST_PASSWORD, callerAs, createUser, createWorld } from "../support/factories";
import { linkIn } from "../support/smtp";

/**
 * The security review's account findings, with no SMTP server (the embedded default): mail
 * is kept in the outbox, bodies included, which is where a tenant admin used to find other
 * people's reset links.
 */

let runner: EmbeddedRunner;
const PAGE = { page: 0, pageSize: 200, search: "" };

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

function tokenOf(link: string): string {
  return link.split("/").at(-1) ?? "";
}

async function latestMailTo(to: string, pathPrefix: string) {
  const mail = await db().outboundEmail.findFirstOrThrow({ where: { to }, orderBy: { createdAt: "desc" } });
  return { mail, token: tokenOf(linkIn(mail.text ?? "", pathPrefix)) };
}

describe("email change", () => {
  it("asks for the current password", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    await expect(me.me.requestEmailChange({ email: "new-place@example.test", currentPassword: "not-my-password" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { fieldErrors: { currentPassword: ["That is not your current password"] } },
    });
    expect(await db().user.findUniqueOrThrow({ where: { id: world.customerAdmin.user.id } })).toMatchObject({ pendingEmail: null });
  });

  it("confirms only the address a link was mailed to, while that address is still pending", async () => {
    const world = await createWorld();
    const userId = world.customerAdmin.user.id;
    const me = await callerAs(userId);
    const attacker = `attacker-${userId.slice(0, 8)}@example.test`;
    const victim = `victim-${userId.slice(0, 8)}@example.test`;

    await me.me.requestEmailChange({ email: attacker, currentPassword: TEST_PASSWORD });
    await runner.drain();
    const first = await latestMailTo(attacker, "/verify-email/");
    await me.me.requestEmailChange({ email: victim, currentPassword: TEST_PASSWORD });

    // The link mailed to the first address neither confirms the second nor the first.
    const anonymous = await callerAs(null);
    await expect(anonymous.auth.verifyEmail({ token: first.token })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db().user.findUniqueOrThrow({ where: { id: userId } })).toMatchObject({ email: world.customerAdmin.user.email, pendingEmail: victim });

    await runner.drain();
    const second = await latestMailTo(victim, "/verify-email/");
    await expect(anonymous.auth.verifyEmail({ token: second.token })).resolves.toMatchObject({ email: victim, addressChanged: true });
    expect(await db().user.findUniqueOrThrow({ where: { id: userId } })).toMatchObject({ email: victim, pendingEmail: null });
  });
});

describe("invitation to an address that already has an account", () => {
  async function invitationFor(email: string) {
    const world = await createWorld();
    const admin = await callerAs(world.admin.user.id);
    await admin.users.invite({ email, role: "TENANT_SUPPORT" });
    await runner.drain();
    const { token } = await latestMailTo(email, "/invite/");
    return { world, token };
  }

  it("is refused with the link alone, or with a wrong password", async () => {
    const elsewhere = await createWorld();
    const owner = elsewhere.admin.user;
    const { world, token } = await invitationFor(owner.email);
    const anonymous = await callerAs(null);
    await expect(anonymous.auth.acceptInvitation({ token, name: "-", password: "" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(anonymous.auth.acceptInvitation({ token, name: "-", password: "a-wrong-password" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { fieldErrors: { password: ["That is not this account's password."] } },
    });
    // Signed in as somebody else does not count either.
    const someoneElse = await callerAs(world.admin.user.id);
    await expect(someoneElse.auth.acceptInvitation({ token, name: "-", password: "" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db().membership.count({ where: { userId: owner.id, tenantId: world.tenant.id } })).toBe(0);
  });

  it("is accepted by the account's owner: signed in as it, or with its password", async () => {
    const elsewhere = await createWorld();
    const signedIn = await invitationFor(elsewhere.admin.user.email);
    const owner = await callerAs(elsewhere.admin.user.id);
    await expect(owner.auth.describeInvitation({ token: signedIn.token })).resolves.toMatchObject({ existingUser: true, signedInAsInvitee: true });
    await owner.auth.acceptInvitation({ token: signedIn.token, name: "-", password: "" });
    expect(await db().membership.count({ where: { userId: elsewhere.admin.user.id, tenantId: signedIn.world.tenant.id } })).toBe(1);

    const withPassword = await invitationFor(elsewhere.support.user.email);
    await (await callerAs(null)).auth.acceptInvitation({ token: withPassword.token, name: "-", password: TEST_PASSWORD });
    expect(await db().membership.count({ where: { userId: elsewhere.support.user.id, tenantId: withPassword.world.tenant.id } })).toBe(1);
  });
});

describe("account mail in the outbox", () => {
  it("keeps a member's reset and confirmation links out of the tenant's outbox and job list", async () => {
    const world = await createWorld();
    const member = world.customerAdmin.user;
    await (await callerAs(null)).auth.requestPasswordReset({ email: member.email });
    await (await callerAs(member.id)).me.requestEmailChange({ email: `moved-${member.id.slice(0, 8)}@example.test`, currentPassword: TEST_PASSWORD });
    await runner.drain();

    const reset = await latestMailTo(member.email, "/reset-password/");
    const confirmation = await latestMailTo(`moved-${member.id.slice(0, 8)}@example.test`, "/verify-email/");
    for (const { mail } of [reset, confirmation]) expect(mail.tenantId).toBeNull();

    const admin = await callerAs(world.admin.user.id);
    const listed = await admin.outbox.list(PAGE);
    expect(listed.rows.map((row) => row.id)).not.toContain(reset.mail.id);
    expect(listed.rows.map((row) => row.id)).not.toContain(confirmation.mail.id);
    await expect(admin.outbox.get({ emailId: reset.mail.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.outbox.list({ ...PAGE, scope: "account" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const runs = await admin.jobs.list({ ...PAGE, filter: { status: null } });
    expect(JSON.stringify(runs)).not.toContain(member.id);

    // A platform admin runs the platform and may read it (no SMTP: nobody else can pass it on).
    const platform = await createUser({ tenantId: world.tenant.id, role: "PLATFORM_ADMIN" });
    const operator = await callerAs(platform.user.id);
    const accountMail = await operator.outbox.list({ ...PAGE, scope: "account" });
    expect(accountMail.rows.map((row) => row.id)).toContain(reset.mail.id);
    await expect(operator.outbox.get({ emailId: reset.mail.id })).resolves.toMatchObject({ to: member.email });
  });
});

describe("password reset requests", () => {
  it("do the same work for unknown addresses and mail one address at most once per window", async () => {
    const world = await createWorld();
    const runs = () => db().jobRun.count({ where: { functionId: "send-password-reset-email" } });
    const before = await runs();
    await requestPasswordReset({ email: `nobody-${world.tenant.id}@example.test` });
    await runner.drain();
    expect(await runs()).toBe(before + 1);

    const email = world.support.user.email;
    const now = new Date();
    await requestPasswordReset({ email }, now);
    await requestPasswordReset({ email: email.toUpperCase() }, new Date(now.getTime() + 1000));
    await runner.drain();
    expect(await db().outboundEmail.count({ where: { to: email } })).toBe(1);
    expect(await runs()).toBe(before + 2);

    await requestPasswordReset({ email }, new Date(now.getTime() + RESET_REQUEST_INTERVAL_MS + 1000));
    await runner.drain();
    expect(await db().outboundEmail.count({ where: { to: email } })).toBe(2);
  });
});

describe("sessions", () => {
  async function sessionOf(userId: string) {
    const user = await db().user.findUniqueOrThrow({ where: { id: userId }, select: { sessionVersion: true } });
    return user.sessionVersion;
  }

  it("end on a password reset", async () => {
    const world = await createWorld();
    const userId = world.customerAdmin.user.id;
    const version = await sessionOf(userId);
    expect(await loadAuthContext(userId, { sessionVersion: version })).not.toBeNull();
    await requestPasswordReset({ email: world.customerAdmin.user.email });
    await runner.drain();
    const { token } = await latestMailTo(world.customerAdmin.user.email, "/reset-password/");
    await (await callerAs(null)).auth.resetPassword({ token, password: "a-brand-new-password" });
    expect(await loadAuthContext(userId, { sessionVersion: version })).toBeNull();
    expect(await loadAuthContext(userId, { sessionVersion: await sessionOf(userId) })).not.toBeNull();
  });

  it("end on a password change, except the one that made it, which the ticket moves on", async () => {
    const world = await createWorld();
    const userId = world.customerAdmin.user.id;
    const version = await sessionOf(userId);
    const me = await callerAs(userId);
    const { sessionTicket: ticket } = await me.me.changePassword({ currentPassword: TEST_PASSWORD, newPassword: "another-long-password" });
    expect(await loadAuthContext(userId, { sessionVersion: version })).toBeNull();

    const jwt = authOptions().callbacks?.jwt;
    if (!jwt) throw new Error("no jwt callback");
    const stale: JWT = { userId, sessionVersion: version };
    const call = (token: JWT, session: unknown) => jwt({ token: { ...token }, user: undefined as never, account: null, trigger: "update", session });
    // A forged or foreign ticket moves nothing.
    expect((await call(stale, { sessionTicket: `${ticket}x` })).sessionVersion).toBe(version);
    expect((await call(stale, { sessionTicket: sessionTicket({ userId: world.admin.user.id, sessionVersion: version + 1 }) })).sessionVersion).toBe(version);
    expect((await call(stale, { sessionVersion: version + 1 })).sessionVersion).toBe(version);
    const moved = await call(stale, { sessionTicket: ticket });
    expect(moved.sessionVersion).toBe(version + 1);
    expect(await loadAuthContext(userId, { sessionVersion: moved.sessionVersion })).not.toBeNull();
    // Tickets expire within minutes.
    expect(readSessionTicket(ticket, userId, Date.now() + 10 * 60 * 1000)).toBeNull();
  });

  it("end when a new address is confirmed", async () => {
    const world = await createWorld();
    const userId = world.customerAdmin.user.id;
    const version = await sessionOf(userId);
    const me = await callerAs(userId);
    const address = `confirmed-${userId.slice(0, 8)}@example.test`;
    await me.me.requestEmailChange({ email: address, currentPassword: TEST_PASSWORD });
    expect(await loadAuthContext(userId, { sessionVersion: version })).not.toBeNull();
    await runner.drain();
    const { token } = await latestMailTo(address, "/verify-email/");
    // Confirmed from the browser signed in as the account: it gets a ticket to stay.
    const confirmed = await me.auth.verifyEmail({ token });
    expect(confirmed.sessionTicket).toEqual(expect.any(String));
    expect(await loadAuthContext(userId, { sessionVersion: version })).toBeNull();
    expect(readSessionTicket(confirmed.sessionTicket ?? "", userId)).toBe(version + 1);
  });
});

describe("removing members", () => {
  it("keeps platform admins to platform admins, and the tenant's last tenant admin", async () => {
    const world = await createWorld();
    const platform = await createUser({ tenantId: world.tenant.id, role: "PLATFORM_ADMIN" });
    const admin = await callerAs(world.admin.user.id);
    await expect(admin.users.remove({ membershipId: platform.membership.id })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const operator = await callerAs(platform.user.id);
    await expect(operator.users.remove({ membershipId: world.admin.membership.id })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    const second = await createUser({ tenantId: world.tenant.id, role: "TENANT_ADMIN" });
    await expect(operator.users.remove({ membershipId: world.admin.membership.id })).resolves.toEqual({ removed: true });
    await expect(operator.users.remove({ membershipId: second.membership.id })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await db().membership.count({ where: { tenantId: world.tenant.id, role: "TENANT_ADMIN" } })).toBe(1);
  });
});
