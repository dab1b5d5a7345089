import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { postRecurringFees, saveRecurringCharge } from "@/server/wallet/recurring";
import { createCustomer, createWorld, TEST_ACTOR } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

withMoneyServices({ smtp: true });

const actor = TEST_ACTOR;

async function feesOf(customerId: string) {
  const fees = await db().ledgerEntry.findMany({ where: { customerId, kind: "RECURRING_FEE" }, orderBy: { id: "asc" } });
  return fees.map((fee) => [fee.amount, fee.memo]);
}

describe("recurring fees", () => {
  it("keeps a period already posted when the fee's amount is edited, posts every other fee, and applies the new amount next period", async () => {
    const { tenant, customer, otherCustomer } = await createWorld();
    const november = new Date("2026-11-10T12:00:00Z");
    const edited = await saveRecurringCharge({ tenantId: tenant.id, actor, charge: { customerId: customer.id, description: "Trunk rental", amount: "5.00", startsOn: new Date("2026-01-01") } });
    expect(await postRecurringFees({ now: november, tenantId: tenant.id })).toEqual({ posted: 1, alreadyPosted: 0, failed: [] });

    await saveRecurringCharge({ tenantId: tenant.id, actor, chargeId: edited.id, charge: { customerId: customer.id, description: "Trunk rental", amount: "7.00", startsOn: new Date("2026-01-01") } });
    // Fees that have not been posted this month yet, on both sides of the edited one in any order.
    for (const owner of [customer.id, otherCustomer.id, customer.id]) {
      await saveRecurringCharge({ tenantId: tenant.id, actor, charge: { customerId: owner, description: "DID monthly", amount: "1.00", startsOn: new Date("2026-01-01") } });
    }

    expect(await postRecurringFees({ now: november, tenantId: tenant.id })).toEqual({ posted: 3, alreadyPosted: 1, failed: [] });
    expect(await postRecurringFees({ now: new Date("2026-11-20T12:00:00Z"), tenantId: tenant.id })).toEqual({ posted: 0, alreadyPosted: 4, failed: [] });
    expect(await postRecurringFees({ now: new Date("2026-12-10T12:00:00Z"), tenantId: tenant.id })).toEqual({ posted: 4, alreadyPosted: 0, failed: [] });
    expect((await feesOf(customer.id)).filter(([, memo]) => String(memo).startsWith("Trunk rental"))).toEqual([
      [-5_000_000n, "Trunk rental (2026-11)"],
      [-7_000_000n, "Trunk rental (2026-12)"],
    ]);
    expect(await feesOf(otherCustomer.id)).toEqual([
      [-1_000_000n, "DID monthly (2026-11)"],
      [-1_000_000n, "DID monthly (2026-12)"],
    ]);
  });

  it("reports a fee that cannot be posted and posts the others", async () => {
    const { tenant, customer } = await createWorld();
    const broken = await createCustomer(tenant.id);
    // A fee no balance can absorb: posting it overflows the BIGINT balance, as a database error would fail any posting.
    const bad = await db().recurringCharge.create({
      data: { tenantId: tenant.id, customerId: broken.id, description: "Corrupt fee", amount: 9_223_372_036_854_775_807n, startsOn: new Date("2026-01-01") },
    });
    await db().customer.update({ where: { id: broken.id }, data: { balance: -2n } });
    await db().ledgerEntry.create({ data: { tenantId: tenant.id, customerId: broken.id, amount: -2n, kind: "CALL_CHARGES", idempotencyKey: "seed", balanceAfter: -2n } });
    for (let index = 0; index < 3; index++) {
      await saveRecurringCharge({ tenantId: tenant.id, actor, charge: { customerId: customer.id, description: `Fee ${index}`, amount: "2.00", startsOn: new Date("2026-01-01") } });
    }

    const result = await postRecurringFees({ now: new Date("2026-11-10T12:00:00Z"), tenantId: tenant.id });
    expect(result).toMatchObject({ posted: 3, alreadyPosted: 0, failed: [{ tenantId: tenant.id, chargeId: bad.id }] });
    expect(await feesOf(customer.id)).toHaveLength(3);
    expect(await feesOf(broken.id)).toEqual([]);
  });
});
