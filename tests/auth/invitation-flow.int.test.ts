import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { authenticate } from "@/server/auth/sign-in";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { TEST_PASSWORD, callerAs, createWorld } from "../support/factories";
import { linkIn, startSmtpServer } from "../support/smtp";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let runner: EmbeddedRunner;

beforeAll(async () => {
  smtp = await startSmtpServer();
  // Before anything reads configuration: this file sends real mail over SMTP.
  process.env.SMTP_URL = smtp.url;
  runner = new EmbeddedRunner({ functions, backoffMs: () => 20 });
  setEmbeddedRunner(runner);
});

afterAll(async () => {
  runner.stop();
  setEmbeddedRunner(undefined);
  await smtp.close();
});

function tokenOf(link: string): string {
  return link.split("/").at(-1) ?? "";
}

describe("invitation → email → registration → sign-in", () => {
  it("delivers the invitation through the in-process runner over SMTP and registers the user once", async () => {
    const world = await createWorld();
    const admin = await callerAs(world.admin.user.id);
    const invitation = await admin.customers.inviteUser({ customerId: world.customer.id, email: "New.Person@Example.test", role: "CUSTOMER_USER" });
    expect(invitation.email).toBe("new.person@example.test");

    await runner.drain();
    const mail = await smtp.waitFor((message) => message.to.includes("new.person@example.test"));
    expect(mail.subject).toContain(world.customer.name);
    const link = linkIn(mail.text, "/invite/");
    expect(link.startsWith("http://localhost:3000/invite/")).toBe(true);

    // The run is recorded for the tenant, and neither the run nor the outbox holds the token.
    const run = await db().jobRun.findFirstOrThrow({ where: { tenantId: world.tenant.id, functionId: "send-invitation-email" } });
    expect(run.status).toBe("COMPLETED");
    expect(JSON.stringify(run)).not.toContain(tokenOf(link));
    const logged = await db().outboundEmail.findFirstOrThrow({ where: { tenantId: world.tenant.id, to: "new.person@example.test" } });
    expect(logged).toMatchObject({ status: "SENT", text: null, html: null });

    const anonymous = await callerAs(null);
    const described = await anonymous.auth.describeInvitation({ token: tokenOf(link) });
    expect(described).toMatchObject({ email: "new.person@example.test", customerName: world.customer.name, existingUser: false });

    await expect(anonymous.auth.acceptInvitation({ token: tokenOf(link), name: "New Person", password: "short" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await anonymous.auth.acceptInvitation({ token: tokenOf(link), name: "New Person", password: "a-long-enough-password" });
    await expect(
      anonymous.auth.acceptInvitation({ token: tokenOf(link), name: "Someone Else", password: "another-long-password" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });

    const user = await authenticate({ email: "new.person@example.test", password: "a-long-enough-password", ip: "127.0.0.1" });
    const portal = await callerAs(user.id);
    const overview = await portal.portal.overview();
    expect(overview.id).toBe(world.customer.id);
    await expect(portal.customers.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("resets a password through an emailed single-use link, revealing nothing for unknown emails", async () => {
    const world = await createWorld();
    const anonymous = await callerAs(null);
    await anonymous.auth.requestPasswordReset({ email: "nobody-here@example.test" });
    await anonymous.auth.requestPasswordReset({ email: world.customerAdmin.user.email });
    await runner.drain();
    const mail = await smtp.waitFor((message) => message.to.includes(world.customerAdmin.user.email) && /Reset/.test(message.subject));
    expect(smtp.received.some((message) => message.to.includes("nobody-here@example.test"))).toBe(false);
    const token = tokenOf(linkIn(mail.text, "/reset-password/"));
    await anonymous.auth.resetPassword({ token, password: "brand-new-password-1" });
    await expect(anonymous.auth.resetPassword({ token, password: "brand-new-password-2" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(authenticate({ email: world.customerAdmin.user.email, password: "brand-new-password-1", ip: "127.0.0.2" })).resolves.toBeTruthy();
  });

  it("changes an email address only after the new address is verified", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    await me.me.requestEmailChange({ email: "moved@example.test", currentPassword: TEST_PASSWORD });
    await runner.drain();
    const mail = await smtp.waitFor((message) => message.to.includes("moved@example.test"));
    expect((await me.me.get()).profile.email).toBe(world.customerAdmin.user.email);
    const anonymous = await callerAs(null);
    await anonymous.auth.verifyEmail({ token: tokenOf(linkIn(mail.text, "/verify-email/")) });
    const after = await db().user.findUniqueOrThrow({ where: { id: world.customerAdmin.user.id } });
    expect(after).toMatchObject({ email: "moved@example.test", pendingEmail: null });
  });
});
