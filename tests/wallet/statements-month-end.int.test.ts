import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { postLedgerEntriesOnConnection, postLedgerEntry } from "@/server/wallet/ledger";
import { computeStatement, generateMissingStatements, generateStatement, settledPeriod } from "@/server/wallet/statements";
import { callerAs, createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

withMoneyServices();

describe("statements at month end", () => {
  it("dates an entry when it is posted under the lock, not when its transaction began", async () => {
    const { tenant, customer } = await createWorld();
    const client = await pool().connect();
    try {
      // A CDR batch: BEGIN, a long load, then the charges.
      await client.query("BEGIN");
      const began = (await client.query<{ now: Date }>("SELECT now()")).rows[0]!.now;
      await client.query("SELECT pg_sleep(1.2)");
      // Meanwhile another posting for the same customer commits first, so gets the earlier id.
      const first = await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 10_000_000n, kind: "TOPUP", idempotencyKey: `month-end:${customer.id}:topup` });
      const [late] = await postLedgerEntriesOnConnection(client, [
        { tenantId: tenant.id, customerId: customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: `month-end:${customer.id}:cdr` },
      ]);
      await client.query("COMMIT");
      const second = late!.entry;
      expect(second.id).toBeGreaterThan(first.entry.id);
      expect(second.createdAt.getTime()).toBeGreaterThanOrEqual(began.getTime() + 1000);
      // Same order by created_at as by id.
      expect(second.createdAt.getTime()).toBeGreaterThan(first.entry.createdAt.getTime());

      // A period boundary between the batch's BEGIN and the top-up: the batch's charge must
      // not fall in the period before an entry chained ahead of it, or neither reconciles.
      const boundary = first.entry.createdAt;
      const before = await computeStatement({ tenantId: tenant.id, customerId: customer.id, start: new Date(0), end: boundary });
      expect(before).toMatchObject({ openingBalance: 0n, closingBalance: 0n, entryCount: 0 });
      const after = await computeStatement({ tenantId: tenant.id, customerId: customer.id, start: boundary, end: new Date(Date.now() + 60_000) });
      expect(after).toMatchObject({ openingBalance: 0n, closingBalance: 9_000_000n, entryCount: 2 });
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  });

  it("writes the other customers' statements when one does not reconcile, and reports it", async () => {
    const { tenant, customer, otherCustomer } = await createWorld();
    // The broken customer comes first in the run.
    await db().customer.update({ where: { id: customer.id }, data: { createdAt: new Date("2026-01-01T00:00:00Z") } });
    await db().customer.update({ where: { id: otherCustomer.id }, data: { createdAt: new Date("2026-01-02T00:00:00Z") } });
    await db().ledgerEntry.createMany({
      data: [
        { tenantId: tenant.id, customerId: customer.id, amount: 5_000_000n, kind: "TOPUP", idempotencyKey: `broken:${customer.id}:1`, balanceAfter: 5_000_000n, createdAt: new Date("2026-10-05T12:00:00Z") },
        { tenantId: tenant.id, customerId: customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: `broken:${customer.id}:2`, balanceAfter: 3_000_000n, createdAt: new Date("2026-10-06T12:00:00Z") },
        { tenantId: tenant.id, customerId: otherCustomer.id, amount: 7_000_000n, kind: "TOPUP", idempotencyKey: `fine:${otherCustomer.id}:1`, balanceAfter: 7_000_000n, createdAt: new Date("2026-10-07T12:00:00Z") },
      ],
    });
    await db().customer.update({ where: { id: otherCustomer.id }, data: { balance: 7_000_000n } });
    await db().customer.update({ where: { id: customer.id }, data: { balance: 4_000_000n } });
    try {
      const result = await generateMissingStatements({ now: new Date("2026-11-01T14:00:00Z"), tenantId: tenant.id });
      expect(result.written).toHaveLength(1);
      expect(result.failed).toEqual([{ tenantId: tenant.id, customerId: customer.id, period: "2026-10", error: expect.stringMatching(/does not reconcile/) as unknown }]);
      const statements = await db().statement.findMany({ where: { tenantId: tenant.id }, select: { customerId: true, closingBalance: true } });
      expect(statements).toEqual([{ customerId: otherCustomer.id, closingBalance: 7_000_000n }]);
    } finally {
      // Repair the seed so the ledger invariant of this tenant holds again.
      await db().ledgerEntry.deleteMany({ where: { tenantId: tenant.id, customerId: customer.id } });
      await db().customer.update({ where: { id: customer.id }, data: { balance: 0n } });
    }
  });

  it("waits an hour after the month ends before writing its statement", async () => {
    // October ends at 2026-11-01T04:00Z in Toronto, the factories' zone.
    const { tenant, customer } = await createWorld();
    expect(settledPeriod(new Date("2026-11-01T04:30:00Z"), "America/Toronto")).toBe("2026-09");
    expect(settledPeriod(new Date("2026-11-01T05:00:01Z"), "America/Toronto")).toBe("2026-10");
    await expect(generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-10", now: new Date("2026-11-01T04:30:00Z") })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-10", now: new Date("2026-11-01T05:00:01Z") })).resolves.toMatchObject({
      period: "2026-10",
    });
  });
});

describe("the customer's ledger", () => {
  it("does not show who on the tenant's staff posted an entry", async () => {
    const { admin, customer, customerAdmin } = await createWorld();
    const staff = await callerAs(admin.user.id);
    await staff.wallet.adjust({ customerId: customer.id, amount: "2.50", reason: "Goodwill credit", requestId: crypto.randomUUID() });
    const staffView = await staff.wallet.ledger({ customerId: customer.id });
    expect(staffView.rows[0]).toMatchObject({ actorEmail: admin.user.email, memo: "Goodwill credit" });

    const mine = await (await callerAs(customerAdmin.user.id)).wallet.myLedger({});
    expect(mine.total).toBe(1);
    // The reason of an adjustment is written for the customer; it is the entry's description.
    expect(mine.rows[0]).toMatchObject({ amount: 2_500_000n, description: "Goodwill credit" });
    expect(mine.rows[0]).not.toHaveProperty("actorEmail");
    expect(JSON.stringify(mine.rows, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))).not.toContain(admin.user.email);
  });
});
