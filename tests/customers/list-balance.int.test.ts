import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { CUSTOMER_SORTABLE_FIELDS, getCustomer, listCustomers } from "@/server/customers/customers";
import { ZPageInput } from "@/server/lib/pagination";
import { createCustomer, createTenant } from "../support/factories";

const NO_FILTER = { status: null, billingType: null };

describe("customers list balance", () => {
  it("sorts by balance on the server, both ways, and says the currency", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const balances = [12_000_000n, -3_500_000n, 0n];
    for (const balance of balances) {
      const customer = await createCustomer(tenant.id);
      await db().customer.update({ where: { id: customer.id }, data: { balance } });
    }
    // Another tenant's lowest balance never shows in this tenant's list.
    const stranger = await createCustomer(other.id);
    await db().customer.update({ where: { id: stranger.id }, data: { balance: -99_000_000n } });

    expect(CUSTOMER_SORTABLE_FIELDS).toContain("balance");
    const ascending = await listCustomers({ tenantId: tenant.id, query: ZPageInput.parse({ sort: { id: "balance", desc: false } }), filter: NO_FILTER });
    expect(ascending.rows.map((row) => row.balance)).toEqual([-3_500_000n, 0n, 12_000_000n]);
    expect(ascending.currency).toBe("USD");
    const descending = await listCustomers({ tenantId: tenant.id, query: ZPageInput.parse({ sort: { id: "balance", desc: true } }), filter: NO_FILTER });
    expect(descending.rows.map((row) => row.balance)).toEqual([12_000_000n, 0n, -3_500_000n]);
  });

  it("gives the customer page the balance, limits and lock details", async () => {
    const tenant = await createTenant();
    const customer = await createCustomer(tenant.id, { billingType: "POSTPAID" });
    await db().customer.update({
      where: { id: customer.id },
      data: { balance: -60_000_000n, creditLimit: 50_000_000n, status: "LOCKED", lockSource: "BALANCE", lockReason: "Credit limit exceeded", lockedAt: new Date() },
    });
    const detail = await getCustomer({ tenantId: tenant.id, customerId: customer.id });
    expect(detail).toMatchObject({
      balance: -60_000_000n,
      creditLimit: 50_000_000n,
      lockSource: "BALANCE",
      lockReason: "Credit limit exceeded",
      tenant: { currency: "USD" },
    });
  });
});
