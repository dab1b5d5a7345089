import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { generateStatement } from "@/server/wallet/statements";
import { callerAs, createCustomer, createUser, createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

const services = withMoneyServices({ smtp: true });

let sequence = 0;
const key = (what: string) => `${what}:${++sequence}`;

/** A EUR tenant: amounts shown in any other currency would be wrong. */
async function euroWorld() {
  const world = await createWorld();
  await db().tenant.update({ where: { id: world.tenant.id }, data: { currency: "EUR" } });
  return world;
}

describe("money comes with its currency", () => {
  it("sends the tenant's currency with the statements list and both ledgers, so no page guesses it", async () => {
    const world = await euroWorld();
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: 12_345_678n, kind: "ADJUSTMENT", idempotencyKey: key("credit") });
    await services.runner.drain();
    const statement = await generateStatement({ tenantId: world.tenant.id, customerId: world.customer.id, period: "2026-10" });

    const customer = await callerAs(world.customerAdmin.user.id);
    const staff = await callerAs(world.admin.user.id);

    const mine = await customer.statements.mine();
    expect(mine.currency).toBe("EUR");
    expect(mine.statements.map((row) => row.id)).toEqual([statement.id]);
    expect(await staff.statements.forCustomer({ customerId: world.customer.id })).toMatchObject({ currency: "EUR", statements: [{ id: statement.id }] });

    expect(await customer.wallet.myLedger({})).toMatchObject({ currency: "EUR", total: 1, rows: [{ amount: 12_345_678n }] });
    expect(await staff.wallet.ledger({ customerId: world.customer.id })).toMatchObject({ currency: "EUR", total: 1, rows: [{ amount: 12_345_678n }] });
  });

  it("sends it with an empty statements list too", async () => {
    const world = await euroWorld();
    expect(await (await callerAs(world.customerAdmin.user.id)).statements.mine()).toEqual({ currency: "EUR", statements: [] });
  });
});

describe("the wallet's postpaid figures", () => {
  it("give a postpaid account what it owes, its credit limit and the credit left, by the server's rules", async () => {
    const world = await createWorld();
    const postpaid = await createCustomer(world.tenant.id, { billingType: "POSTPAID" });
    await db().customer.update({ where: { id: postpaid.id }, data: { creditLimit: 1_000_000_000n } });
    const owner = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_USER", customerId: postpaid.id });
    const portal = await callerAs(owner.user.id);

    await postLedgerEntry({ tenantId: world.tenant.id, customerId: postpaid.id, amount: -300_000_000n, kind: "CALL_CHARGES", idempotencyKey: key("calls") });
    await services.runner.drain();
    expect((await portal.wallet.mine()).credit).toEqual({ owed: 300_000_000n, limit: 1_000_000_000n, available: 700_000_000n });

    // Paid more than it owed: nothing owed, and the surplus adds to the credit left.
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: postpaid.id, amount: 350_000_000n, kind: "TOPUP", idempotencyKey: key("payment") });
    await services.runner.drain();
    expect((await portal.wallet.mine()).credit).toEqual({ owed: 0n, limit: 1_000_000_000n, available: 1_050_000_000n });
  });

  it("are absent for a prepaid account, which is read by its balance", async () => {
    const world = await createWorld();
    expect((await (await callerAs(world.customerAdmin.user.id)).wallet.mine()).credit).toBeNull();
  });
});
