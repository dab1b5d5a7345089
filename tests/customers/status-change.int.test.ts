import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { changeCustomerStatus } from "@/server/customers/customers";
import { saveTrunk } from "@/server/catalog/trunks";
import { createTenantWithTwoCustomers, TEST_ACTOR } from "../support/factories";

const change = (customerId: string, status: "ACTIVE" | "SUSPENDED" | "CLOSED") => ({ customerId, status, reason: "Asked by the customer" });

describe("closing a customer", () => {
  it("disables its trunks in the same change, audited, and leaves other customers' alone", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    const main = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "Main", accountCode: "a-1" } });
    const spare = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "Spare", accountCode: "a-2", status: "DISABLED" } });
    const other = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: bob.id, name: "Bob", accountCode: "b-1" } });
    await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "CLOSED") });
    const statuses = Object.fromEntries((await db().sipTrunk.findMany({ where: { tenantId } })).map((trunk) => [trunk.id, trunk.status]));
    expect(statuses).toEqual({ [main.id]: "DISABLED", [spare.id]: "DISABLED", [other.id]: "ACTIVE" });
    const audits = await db().auditEvent.findMany({ where: { tenantId, action: "trunk.disabled" } });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ targetId: alice.id, after: expect.objectContaining({ trunkId: main.id, status: "DISABLED" }) });
  });

  it("refuses a new trunk, or enabling one, for a closed customer", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    const main = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "Main", accountCode: "a-1" } });
    await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "CLOSED") });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "New", accountCode: "a-3", status: "DISABLED" } })).rejects.toMatchObject({
      fieldErrors: { customerId: [expect.stringMatching(/Alice Co is closed/)] },
    });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, trunkId: main.id, fields: { customerId: alice.id, name: "Main", accountCode: "a-1", status: "ACTIVE" } })).rejects.toMatchObject({
      fieldErrors: { status: [expect.stringMatching(/closed/)] },
    });
    // A disabled trunk of a closed customer can still be edited (renamed, its ACL cleaned up).
    await saveTrunk({ tenantId, actor: TEST_ACTOR, trunkId: main.id, fields: { customerId: alice.id, name: "Main (old)", accountCode: "a-1", status: "DISABLED" } });
  });
});

describe("a trunk's customer", () => {
  it("cannot change on update", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    const main = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "Main", accountCode: "a-1" } });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, trunkId: main.id, fields: { customerId: bob.id, name: "Main", accountCode: "a-1" } })).rejects.toMatchObject({
      fieldErrors: { customerId: ["A trunk cannot move to another customer; create a new one"] },
    });
    expect((await db().sipTrunk.findUniqueOrThrow({ where: { id: main.id } })).customerId).toBe(alice.id);
  });
});

describe("changing a customer's status by hand", () => {
  async function lockByBalance(tenantId: string, customerId: string) {
    await db().customer.update({
      where: { tenantId_id: { tenantId, id: customerId } },
      data: { status: "LOCKED", lockSource: "BALANCE", lockReason: "Balance ran out", lockedAt: new Date() },
    });
  }

  it("does not lift a balance lock: LOCKED to ACTIVE is refused, the lock fields stay", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    await lockByBalance(tenantId, alice.id);
    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "ACTIVE") })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/locked: unlock it/),
    });
    expect(await db().customer.findUniqueOrThrow({ where: { id: alice.id } })).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
  });

  it("gives a suspended account its lock back when reactivated, rather than lifting it", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    await lockByBalance(tenantId, alice.id);
    await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "SUSPENDED") });
    const reactivated = await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "ACTIVE") });
    expect(reactivated.status).toBe("LOCKED");
    expect(await db().customer.findUniqueOrThrow({ where: { id: alice.id } })).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
  });

  it("allows only the changes the customer page offers", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "ACTIVE") })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "SUSPENDED") });
    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "SUSPENDED") })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect((await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: change(alice.id, "ACTIVE") })).status).toBe("ACTIVE");
  });
});
