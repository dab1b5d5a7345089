import { beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { db } from "@/server/db/client";
import { appRouter } from "@/server/trpc/root";
import { callerAs, createWorld } from "../support/factories";

/**
 * TENANT_SUPPORT reads but does not act. Every mutation of the app router must refuse a
 * support user before it looks at its input, except the public auth flows (anyone) and
 * `me.*` (the support user's own profile and password). A new mutation that forgets its role
 * fails here without anyone adding a case.
 */

type TWorld = Awaited<ReturnType<typeof createWorld>>;

const OPEN_TO_ANY_SIGNED_IN_USER = ["auth.", "me."];

function callByPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  return (procedure as (input: unknown) => Promise<unknown>)(input);
}

// At run time `_def.procedures` is flat, keyed by dotted path; its static type is the nested router.
const mutationPaths = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
  .filter(([, procedure]) => procedure._def.type === "mutation")
  .map(([path]) => path)
  .sort();

let world: TWorld;
let invitationId: string;

beforeAll(async () => {
  world = await createWorld("Roles");
  const invitation = await db().invitation.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, email: "pending@roles.test", role: "CUSTOMER_ADMIN", tokenHash: "r".repeat(64), expiresAt: new Date(Date.now() + 86_400_000) },
  });
  invitationId = invitation.id;
});

describe("staff roles on tRPC mutations", () => {
  it("finds the mutations (the sweep below is not vacuous)", () => {
    expect(mutationPaths).toEqual(expect.arrayContaining(["customers.create", "customers.update", "customers.inviteUser", "customers.revokeInvitation"]));
  });

  it("refuses every staff mutation to TENANT_SUPPORT with FORBIDDEN", async () => {
    const support = await callerAs(world.support.user.id);
    const allowed: string[] = [];
    for (const path of mutationPaths) {
      if (OPEN_TO_ANY_SIGNED_IN_USER.some((prefix) => path.startsWith(prefix))) continue;
      try {
        await callByPath(support, path, undefined);
        allowed.push(`${path}: succeeded`);
      } catch (error) {
        if (!(error instanceof TRPCError) || error.code !== "FORBIDDEN") {
          allowed.push(`${path}: ${error instanceof TRPCError ? error.code : String(error)}`);
        }
      }
    }
    expect(allowed).toEqual([]);
  });

  it("refuses support the customer mutations with valid input and changes nothing", async () => {
    const support = await callerAs(world.support.user.id);
    const fields = { accountNumber: "support-made", name: "Support made", billingType: "POSTPAID" as const, contactEmail: "s@roles.test" };
    await expect(support.customers.create(fields)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(support.customers.update({ customerId: world.customer.id, fields: { ...fields, accountNumber: world.customer.accountNumber } })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(support.customers.inviteUser({ customerId: world.customer.id, email: world.support.user.email, role: "CUSTOMER_ADMIN" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(support.customers.revokeInvitation({ invitationId })).rejects.toMatchObject({ code: "FORBIDDEN" });

    expect(await db().customer.count({ where: { tenantId: world.tenant.id, accountNumber: "support-made" } })).toBe(0);
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).toMatchObject({ billingType: world.customer.billingType, name: world.customer.name });
    expect(await db().invitation.count({ where: { tenantId: world.tenant.id, email: world.support.user.email } })).toBe(0);
    expect(await db().invitation.findUniqueOrThrow({ where: { id: invitationId } })).toMatchObject({ revokedAt: null });
  });

  it("lets TENANT_ADMIN create, update, invite and revoke", async () => {
    const admin = await callerAs(world.admin.user.id);
    const created = await admin.customers.create({ accountNumber: "admin-made", name: "Admin made", billingType: "PREPAID", contactEmail: "a@roles.test" });
    await admin.customers.update({ customerId: created.id, fields: { accountNumber: "admin-made", name: "Admin made", billingType: "POSTPAID", contactEmail: "a@roles.test", creditLimit: "100.00" } });
    expect(await db().customer.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ billingType: "POSTPAID" });
    const invitation = await admin.customers.inviteUser({ customerId: created.id, email: "owner@roles.test", role: "CUSTOMER_ADMIN" });
    expect(invitation.email).toBe("owner@roles.test");
    await admin.customers.revokeInvitation({ invitationId });
    expect((await db().invitation.findUniqueOrThrow({ where: { id: invitationId } })).revokedAt).not.toBeNull();
  });
});
