import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { loadAuthContext } from "@/server/auth/context";
import { createCaller } from "@/server/trpc/root";
import { PORTAL_NAV, navForRole } from "@/components/shell/signed-in-shell";
import { callerAs, createCustomer, createTenant, createUser, createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { linkIn } from "../support/smtp";
import { waitForLockWaiters } from "../support/waiting";

/**
 * A customer admin manages the people of their own customer (portal.users.*): invitations
 * through the same mail and acceptance as staff use, role changes and removal, always inside
 * the session's tenant and customer, keeping at least one active customer admin.
 */

// The app's job functions in an embedded runner and a real SMTP server, for this file's lifetime.
const services = withMoneyServices({ smtp: true });

function tokenOf(link: string): string {
  return link.split("/").at(-1) ?? "";
}

/** The invitation links mailed to `email` so far, oldest first. */
function invitationLinks(email: string): string[] {
  return services.smtp.received.filter((mail) => mail.to.includes(email)).map((mail) => linkIn(mail.text, "/invite/"));
}

async function mailedLinks(email: string, count: number): Promise<string[]> {
  await services.runner.drain();
  await services.smtp.waitFor(() => invitationLinks(email).length >= count);
  return invitationLinks(email);
}

async function auditActions(tenantId: string) {
  return db().auditEvent.findMany({ where: { tenantId }, orderBy: { at: "asc" }, select: { action: true, actorEmail: true, targetType: true, targetId: true, before: true, after: true } });
}

async function customerAdminCount(customerId: string) {
  return db().membership.count({ where: { customerId, role: "CUSTOMER_ADMIN" } });
}

describe("portal users: invitations", () => {
  it("invites a colleague by email; the mailed link makes them a member of that customer with that role", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    const invitation = await me.portal.users.invite({ email: "New.Colleague@Example.test", role: "CUSTOMER_ADMIN" });
    expect(invitation.email).toBe("new.colleague@example.test");

    const [link] = await mailedLinks("new.colleague@example.test", 1);
    expect(link!.startsWith("http://localhost:3000/invite/")).toBe(true);
    const stored = await db().invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(stored).toMatchObject({ tenantId: world.tenant.id, customerId: world.customer.id, role: "CUSTOMER_ADMIN", invitedById: world.customerAdmin.user.id });

    const listed = await me.portal.users.list();
    expect(listed.rows.find((row) => row.kind === "invitation")).toMatchObject({ email: "new.colleague@example.test", role: "CUSTOMER_ADMIN", status: "INVITED" });

    const anonymous = await callerAs(null);
    await anonymous.auth.acceptInvitation({ token: tokenOf(link!), name: "New Colleague", password: "a-long-enough-password" });
    const user = await db().user.findUniqueOrThrow({ where: { email: "new.colleague@example.test" } });
    const membership = await db().membership.findFirstOrThrow({ where: { userId: user.id } });
    expect(membership).toMatchObject({ tenantId: world.tenant.id, customerId: world.customer.id, role: "CUSTOMER_ADMIN" });
    const colleague = await callerAs(user.id);
    expect((await colleague.portal.overview()).id).toBe(world.customer.id);

    const after = await me.portal.users.list();
    expect(after.rows.filter((row) => row.kind === "invitation")).toEqual([]);
    expect(after.rows.find((row) => row.email === "new.colleague@example.test")).toMatchObject({ kind: "member", status: "ACTIVE", role: "CUSTOMER_ADMIN", name: "New Colleague" });

    const events = await auditActions(world.tenant.id);
    expect(events).toContainEqual(
      expect.objectContaining({ action: "invitation.created", actorEmail: world.customerAdmin.user.email, targetType: "customer", targetId: world.customer.id }),
    );
    expect(events.map((event) => event.action)).toContain("invitation.accepted");
  });

  it("refuses a staff role, a named customer, a colleague who already has access, and a second open invitation", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    for (const role of ["TENANT_ADMIN", "TENANT_SUPPORT", "PLATFORM_ADMIN"]) {
      await expect(me.portal.users.invite({ email: "staff@example.test", role } as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    // The customer is the session's: an input naming another one is refused, not obeyed.
    await expect(
      me.portal.users.invite({ email: "elsewhere@example.test", role: "CUSTOMER_USER", customerId: world.otherCustomer.id } as never),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(me.portal.users.invite({ email: world.customerAdmin.user.email, role: "CUSTOMER_USER" })).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { fieldErrors: { email: ["That person already has access to this tenant"] } },
    });
    await expect(me.portal.users.invite({ email: "not-an-email", role: "CUSTOMER_USER" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db().invitation.count({ where: { tenantId: world.tenant.id } })).toBe(0);

    await me.portal.users.invite({ email: "twice@example.test", role: "CUSTOMER_USER" });
    await expect(me.portal.users.invite({ email: "twice@example.test", role: "CUSTOMER_ADMIN" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await db().invitation.findMany({ where: { tenantId: world.tenant.id }, select: { customerId: true, role: true } })).toEqual([
      { customerId: world.customer.id, role: "CUSTOMER_USER" },
    ]);
  });

  it("tells nothing of who else has access to the tenant: acceptance refuses such a person instead", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    // Staff and another customer's admin read like any other address: no map of the carrier's people.
    const elsewhere = [world.support.user.email, world.otherCustomerAdmin.user.email];
    for (const email of elsewhere) {
      await expect(me.portal.users.invite({ email, role: "CUSTOMER_USER" })).resolves.toMatchObject({ email });
    }

    const [link] = await mailedLinks(world.otherCustomerAdmin.user.email, 1);
    const invitee = await callerAs(world.otherCustomerAdmin.user.id);
    await expect(invitee.auth.acceptInvitation({ token: tokenOf(link!), name: "-", password: "" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(`You already have access to ${world.tenant.name}`),
    });
    expect(await db().membership.findMany({ where: { userId: world.otherCustomerAdmin.user.id }, select: { customerId: true, role: true } })).toEqual([
      { customerId: world.otherCustomer.id, role: "CUSTOMER_ADMIN" },
    ]);
    // To the inviter it stays an invitation nobody has answered yet.
    const invited = (await me.portal.users.list()).rows.filter((row) => row.kind === "invitation").map((row) => row.email);
    expect(invited.sort()).toEqual([...elsewhere].sort());
  });

  it("resends an invitation with a fresh link (the old one stops working) and revokes one", async () => {
    const world = await createWorld();
    const me = await callerAs(world.customerAdmin.user.id);
    const invitation = await me.portal.users.invite({ email: "resend@example.test", role: "CUSTOMER_USER" });
    const [first] = await mailedLinks("resend@example.test", 1);
    await db().invitation.update({ where: { id: invitation.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await me.portal.users.list()).rows.find((row) => row.id === invitation.id)).toMatchObject({ status: "EXPIRED" });

    const resent = await me.portal.users.resendInvitation({ invitationId: invitation.id });
    expect(resent.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const links = await mailedLinks("resend@example.test", 2);
    const anonymous = await callerAs(null);
    await expect(anonymous.auth.describeInvitation({ token: tokenOf(first!) })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(anonymous.auth.describeInvitation({ token: tokenOf(links[1]!) })).resolves.toMatchObject({ email: "resend@example.test" });

    await me.portal.users.revokeInvitation({ invitationId: invitation.id });
    await expect(anonymous.auth.describeInvitation({ token: tokenOf(links[1]!) })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(me.portal.users.resendInvitation({ invitationId: invitation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await me.portal.users.list()).rows.filter((row) => row.kind === "invitation")).toEqual([]);

    const actions = (await auditActions(world.tenant.id)).map((event) => event.action);
    expect(actions).toEqual(["invitation.created", "invitation.resent", "invitation.revoked"]);
  });

  it("lets tenant admins resend any of the tenant's invitations, and nobody another tenant's", async () => {
    const world = await createWorld();
    const other = await createWorld();
    const invitation = await (await callerAs(world.admin.user.id)).customers.inviteUser({ customerId: world.customer.id, email: "staff-resend@example.test", role: "CUSTOMER_USER" });
    await expect((await callerAs(other.admin.user.id)).users.resendInvitation({ invitationId: invitation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect((await callerAs(world.support.user.id)).users.resendInvitation({ invitationId: invitation.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await (await callerAs(world.admin.user.id)).users.resendInvitation({ invitationId: invitation.id });
    expect(await mailedLinks("staff-resend@example.test", 2)).toHaveLength(2);
  });
});

describe("portal users: who may do what", () => {
  it("refuses every procedure to a customer user and to tenant staff", async () => {
    const world = await createWorld();
    const user = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_USER", customerId: world.customer.id });
    const invitation = await (await callerAs(world.customerAdmin.user.id)).portal.users.invite({ email: "pending@example.test", role: "CUSTOMER_USER" });
    const before = await auditActions(world.tenant.id);
    for (const userId of [user.user.id, world.admin.user.id, world.support.user.id]) {
      const caller = await callerAs(userId);
      const calls = [
        () => caller.portal.users.list(),
        () => caller.portal.users.invite({ email: "sneaky@example.test", role: "CUSTOMER_ADMIN" }),
        () => caller.portal.users.resendInvitation({ invitationId: invitation.id }),
        () => caller.portal.users.revokeInvitation({ invitationId: invitation.id }),
        () => caller.portal.users.changeRole({ membershipId: user.membership.id, role: "CUSTOMER_ADMIN" }),
        () => caller.portal.users.changeRole({ membershipId: world.customerAdmin.membership.id, role: "CUSTOMER_USER" }),
        () => caller.portal.users.remove({ membershipId: world.customerAdmin.membership.id }),
      ];
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await auditActions(world.tenant.id)).toEqual(before);
    expect(await db().membership.findUniqueOrThrow({ where: { id: user.membership.id } })).toMatchObject({ role: "CUSTOMER_USER" });
    expect(await customerAdminCount(world.customer.id)).toBe(1);
  });

  it("isolates customers and tenants: another customer's admin sees and touches nothing of this customer", async () => {
    const world = await createWorld();
    const elsewhere = await createWorld();
    const colleague = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_USER", customerId: world.customer.id });
    const invitation = await (await callerAs(world.customerAdmin.user.id)).portal.users.invite({ email: "isolated@example.test", role: "CUSTOMER_USER" });
    const before = await auditActions(world.tenant.id);
    for (const userId of [world.otherCustomerAdmin.user.id, elsewhere.customerAdmin.user.id]) {
      const attacker = await callerAs(userId);
      const listed = JSON.stringify(await attacker.portal.users.list());
      for (const secret of [world.customerAdmin.user.email, colleague.user.email, "isolated@example.test", invitation.id]) expect(listed).not.toContain(secret);
      await expect(attacker.portal.users.resendInvitation({ invitationId: invitation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(attacker.portal.users.revokeInvitation({ invitationId: invitation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(attacker.portal.users.changeRole({ membershipId: colleague.membership.id, role: "CUSTOMER_ADMIN" })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(attacker.portal.users.remove({ membershipId: colleague.membership.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      // Not even the tenant's staff can be reached through a customer's page.
      await expect(attacker.portal.users.remove({ membershipId: world.admin.membership.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await auditActions(world.tenant.id)).toEqual(before);
    expect(await db().membership.count({ where: { customerId: world.customer.id } })).toBe(2);
    expect(await db().invitation.findUniqueOrThrow({ where: { id: invitation.id } })).toMatchObject({ revokedAt: null });

    const mine = await (await callerAs(world.customerAdmin.user.id)).portal.users.list();
    expect(mine.rows.map((row) => row.email).sort()).toEqual([world.customerAdmin.user.email, colleague.user.email, "isolated@example.test"].sort());
    expect(mine.rows.find((row) => row.email === world.customerAdmin.user.email)).toMatchObject({ isSelf: true });
  });
});

describe("portal users: roles and removal", () => {
  it("changes a colleague's role both ways, audited, and refuses the admin's own role and access", async () => {
    const world = await createWorld();
    const colleague = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_USER", customerId: world.customer.id });
    const me = await callerAs(world.customerAdmin.user.id);
    await expect(me.portal.users.changeRole({ membershipId: colleague.membership.id, role: "CUSTOMER_ADMIN" })).resolves.toMatchObject({ changed: true });
    expect((await loadAuthContext(colleague.user.id))?.role).toBe("CUSTOMER_ADMIN");
    await expect(me.portal.users.changeRole({ membershipId: colleague.membership.id, role: "CUSTOMER_USER" })).resolves.toMatchObject({ changed: true });
    expect((await loadAuthContext(colleague.user.id))?.role).toBe("CUSTOMER_USER");
    await expect(me.portal.users.changeRole({ membershipId: colleague.membership.id, role: "TENANT_ADMIN" } as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });

    await expect(me.portal.users.changeRole({ membershipId: world.customerAdmin.membership.id, role: "CUSTOMER_USER" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    await expect(me.portal.users.remove({ membershipId: world.customerAdmin.membership.id })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await customerAdminCount(world.customer.id)).toBe(1);

    const changes = (await auditActions(world.tenant.id)).filter((event) => event.action === "member.role_changed");
    expect(changes).toEqual([
      expect.objectContaining({ actorEmail: world.customerAdmin.user.email, targetId: colleague.user.id, before: expect.objectContaining({ role: "CUSTOMER_USER" }), after: expect.objectContaining({ role: "CUSTOMER_ADMIN" }) }),
      expect.objectContaining({ targetId: colleague.user.id, before: expect.objectContaining({ role: "CUSTOMER_ADMIN" }), after: expect.objectContaining({ role: "CUSTOMER_USER" }) }),
    ]);
  });

  it("removing a colleague ends their access at once, audited; their account stays", async () => {
    const world = await createWorld();
    const colleague = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_ADMIN", customerId: world.customer.id });
    // A session of the colleague's, signed in before the removal.
    const theirs = await loadAuthContext(colleague.user.id);
    expect(theirs?.customerId).toBe(world.customer.id);

    await (await callerAs(world.customerAdmin.user.id)).portal.users.remove({ membershipId: colleague.membership.id });

    expect(await loadAuthContext(colleague.user.id)).toBeNull();
    const after = await callerAs(colleague.user.id);
    await expect(after.portal.overview()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(after.portal.users.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // A request that got its context just before the removal cannot act as an admin either.
    const stale = createCaller({ auth: theirs, ip: "127.0.0.1" });
    await expect(stale.portal.users.remove({ membershipId: world.customerAdmin.membership.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await customerAdminCount(world.customer.id)).toBe(1);

    expect(await db().user.findUnique({ where: { id: colleague.user.id } })).not.toBeNull();
    const removed = (await auditActions(world.tenant.id)).filter((event) => event.action === "member.removed");
    expect(removed).toEqual([
      expect.objectContaining({ actorEmail: world.customerAdmin.user.email, targetType: "user", targetId: colleague.user.id, before: expect.objectContaining({ role: "CUSTOMER_ADMIN", customerId: world.customer.id }) }),
    ]);
  });

  it("keeps an active customer admin when two admins demote or remove each other at the same moment", async () => {
    for (const action of ["demote", "remove"] as const) {
      const tenant = await createTenant();
      const customer = await createCustomer(tenant.id);
      const alice = await createUser({ tenantId: tenant.id, role: "CUSTOMER_ADMIN", customerId: customer.id });
      const bob = await createUser({ tenantId: tenant.id, role: "CUSTOMER_ADMIN", customerId: customer.id });
      const [asAlice, asBob] = await Promise.all([callerAs(alice.user.id), callerAs(bob.user.id)]);
      const act = (caller: typeof asAlice, membershipId: string) =>
        action === "demote" ? caller.portal.users.changeRole({ membershipId, role: "CUSTOMER_USER" }) : caller.portal.users.remove({ membershipId });

      // Hold both admins' rows so that both calls have read the state before either writes.
      const holder = await pool().connect();
      let results: PromiseSettledResult<unknown>[];
      try {
        await holder.query("BEGIN");
        await holder.query(`SELECT id FROM memberships WHERE customer_id = $1 FOR UPDATE`, [customer.id]);
        const calls = [act(asAlice, bob.membership.id), act(asBob, alice.membership.id)];
        const settled = Promise.allSettled(calls);
        await waitForLockWaiters(2);
        await holder.query("ROLLBACK");
        results = await settled;
      } finally {
        holder.release();
      }
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      expect(["PRECONDITION_FAILED", "FORBIDDEN"]).toContain((refused?.reason as { code?: string }).code);
      expect(await customerAdminCount(customer.id)).toBe(1);
    }
  });
});

describe("portal users: menu", () => {
  it("lists the Users page for customer admins only", () => {
    const hrefs = (role: string) => navForRole(PORTAL_NAV, role).flatMap((group) => group.items.map((item) => item.href));
    expect(hrefs("CUSTOMER_ADMIN")).toContain("/portal/users");
    expect(hrefs("CUSTOMER_USER")).not.toContain("/portal/users");
    expect(hrefs("CUSTOMER_USER")).toContain("/portal/profile");
  });
});
