import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { spentThisMonth } from "@/server/wallet/monthly-spend";
import { callerAs, createCustomer, createTenant, createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

withMoneyServices({ smtp: true });

async function post(tenantId: string, customerId: string, kind: Parameters<typeof postLedgerEntry>[0]["kind"], amount: bigint, at?: Date) {
  const { entry } = await postLedgerEntry({ tenantId, customerId, kind, amount, idempotencyKey: `${kind}:${crypto.randomUUID()}` });
  // Entries are never back-dated by the app; the test places them around a month boundary.
  if (at) await db().ledgerEntry.update({ where: { id: entry.id }, data: { createdAt: at } });
}

describe("spending this month", () => {
  it("sums call, SMS and recurring charges since the 1st in the tenant's time zone, for this customer only", async () => {
    const tenant = await createTenant();
    await db().tenant.update({ where: { id: tenant.id }, data: { timeZone: "America/New_York" } });
    const customer = await createCustomer(tenant.id);
    const neighbour = await createCustomer(tenant.id);
    const elsewhere = await createTenant();
    const stranger = await createCustomer(elsewhere.id);

    await post(tenant.id, customer.id, "TOPUP", 100_000_000n, new Date("2026-02-20T12:00:00Z"));
    // 23:59 on 28 February in New York, although already March in UTC: last month.
    await post(tenant.id, customer.id, "CALL_CHARGES", -2_000_000n, new Date("2026-03-01T04:59:00Z"));
    // Midnight on 1 March in New York.
    await post(tenant.id, customer.id, "CALL_CHARGES", -3_250_000n, new Date("2026-03-01T05:00:00Z"));
    await post(tenant.id, customer.id, "SMS_CHARGES", -500_000n, new Date("2026-03-05T10:00:00Z"));
    await post(tenant.id, customer.id, "RECURRING_FEE", -10_000_000n, new Date("2026-03-01T05:00:01Z"));
    // Money moved but not spent on the service.
    await post(tenant.id, customer.id, "TOPUP", 20_000_000n, new Date("2026-03-06T10:00:00Z"));
    await post(tenant.id, customer.id, "ADJUSTMENT", -1_000_000n, new Date("2026-03-07T10:00:00Z"));
    await post(tenant.id, neighbour.id, "TOPUP", 10_000_000n, new Date("2026-03-02T10:00:00Z"));
    await post(tenant.id, neighbour.id, "CALL_CHARGES", -7_000_000n, new Date("2026-03-02T10:00:00Z"));
    await post(elsewhere.id, stranger.id, "TOPUP", 10_000_000n, new Date("2026-03-02T10:00:00Z"));
    await post(elsewhere.id, stranger.id, "CALL_CHARGES", -9_000_000n, new Date("2026-03-02T10:00:00Z"));

    const march = await spentThisMonth({ tenantId: tenant.id, customerId: customer.id, now: new Date("2026-03-15T12:00:00Z") });
    expect(march).toEqual({ period: "2026-03", since: new Date("2026-03-01T05:00:00Z"), spent: 13_750_000n, currency: tenant.currency });

    // Still February in New York at 04:30 UTC on 1 March.
    const february = await spentThisMonth({ tenantId: tenant.id, customerId: customer.id, now: new Date("2026-03-01T04:30:00Z") });
    expect(february).toMatchObject({ period: "2026-02", spent: 2_000_000n });

    // Another tenant's id with this customer finds nothing to report.
    await expect(spentThisMonth({ tenantId: elsewhere.id, customerId: customer.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("is what the portal shows the signed-in customer, never another customer's", async () => {
    const world = await createWorld();
    await post(world.tenant.id, world.customer.id, "TOPUP", 50_000_000n);
    await post(world.tenant.id, world.customer.id, "CALL_CHARGES", -1_500_000n);
    await post(world.tenant.id, world.otherCustomer.id, "TOPUP", 50_000_000n);
    await post(world.tenant.id, world.otherCustomer.id, "CALL_CHARGES", -4_000_000n);

    const mine = await (await callerAs(world.customerAdmin.user.id)).portal.spentThisMonth();
    expect(mine.spent).toBe(1_500_000n);
    const theirs = await (await callerAs(world.otherCustomerAdmin.user.id)).portal.spentThisMonth();
    expect(theirs.spent).toBe(4_000_000n);
    await expect((await callerAs(world.admin.user.id)).portal.spentThisMonth()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
