import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { db } from "@/server/db/client";
import { changeCustomerStatus } from "@/server/customers/customers";
import { saveTrunk } from "@/server/catalog/trunks";
import { callerAs, createTenantWithTwoCustomers, createUser, TEST_ACTOR } from "../support/factories";

const close = (customerId: string, acknowledgedBalance?: string) => ({ customerId, status: "CLOSED" as const, reason: "Customer left", acknowledgedBalance });

/** Sets a balance as the ledger would have left it (the ledger's own tests cover posting). */
async function withBalance(tenantId: string, customerId: string, balance: bigint) {
  await db().ledgerEntry.create({ data: { tenantId, customerId, amount: balance, kind: "ADJUSTMENT", idempotencyKey: `seed-${customerId}`, balanceAfter: balance } });
  await db().customer.update({ where: { id: customerId }, data: { balance } });
}

describe("closing an account that holds credit or owes money", () => {
  it("refuses without an acknowledgement of the credit, naming the field and the amount, and changes nothing", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    const trunk = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: { customerId: alice.id, name: "Main", accountCode: "a-1" } });
    await withBalance(tenantId, alice.id, 12_500_000n);

    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(alice.id) })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      fieldErrors: { acknowledgedBalance: [expect.stringContaining("holds 12.50 USD of credit: confirm")] },
    });
    // An acknowledgement of another figure (the page showed 10.00; a payment landed since) is none.
    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(alice.id, "10000000") })).rejects.toMatchObject({
      fieldErrors: { acknowledgedBalance: [expect.stringContaining("holds 12.50 USD of credit now (it changed since you looked)")] },
    });
    expect(await db().customer.findUniqueOrThrow({ where: { id: alice.id } })).toMatchObject({ status: "ACTIVE" });
    expect(await db().sipTrunk.findUniqueOrThrow({ where: { id: trunk.id } })).toMatchObject({ status: "ACTIVE" });

    const closed = await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(alice.id, "12500000") });
    expect(closed.status).toBe("CLOSED");
    // The balance is left as it was (no refund here), and the audit says what it was at closing.
    expect(await db().customer.findUniqueOrThrow({ where: { id: alice.id } })).toMatchObject({ status: "CLOSED", balance: 12_500_000n });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { tenantId, action: "customer.status.closed", targetId: alice.id } });
    expect(audit.after).toMatchObject({ status: "CLOSED", balance: "12500000" });
  });

  it("refuses a postpaid account's debt the same way", async () => {
    const { tenantId, bob } = await createTenantWithTwoCustomers();
    await db().customer.update({ where: { id: bob.id }, data: { billingType: "POSTPAID", creditLimit: 100_000_000n } });
    await withBalance(tenantId, bob.id, -40_250_000n);
    await expect(changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(bob.id) })).rejects.toMatchObject({
      fieldErrors: { acknowledgedBalance: [expect.stringContaining("owes 40.25 USD")] },
    });
    expect((await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(bob.id, "-40250000") })).status).toBe("CLOSED");
  });

  it("closes an account at zero without asking", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    expect((await changeCustomerStatus({ tenantId, actor: TEST_ACTOR, change: close(alice.id) })).status).toBe("CLOSED");
  });

  it("gives the dialog the field error through the API", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    const { user } = await createUser({ tenantId, role: "TENANT_ADMIN" });
    await withBalance(tenantId, alice.id, 1n);
    const admin = await callerAs(user.id);
    const error: unknown = await admin.customers.changeStatus(close(alice.id)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).cause).toMatchObject({ fieldErrors: { acknowledgedBalance: [expect.stringContaining("0.000001 USD")] } });
    expect((await admin.customers.changeStatus(close(alice.id, "1"))).status).toBe("CLOSED");
  });
});
