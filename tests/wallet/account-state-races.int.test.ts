import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { recordAudit, SYSTEM_ACTOR } from "@/server/audit/audit";
import { postLedgerEntry, postLedgerEntryInTransaction } from "@/server/wallet/ledger";
import { reactToBalanceChange, sweepBalanceReactions } from "@/server/wallet/account-state";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

const services = withMoneyServices({ smtp: true });

/**
 * A balance reaction decides on a read taken without a lock and acts seconds later, after a
 * mail. These tests commit the other side's entry inside that window (while the SMTP server
 * holds the mail) and run its reaction there too, so the interleaving is exact.
 */


/** An entry committed without its balance-changed event: the test runs the reaction itself. */
async function commitSilently(tenantId: string, customerId: string, amount: bigint, idempotencyKey: string) {
  await db().$transaction((tx) => postLedgerEntryInTransaction(tx, { tenantId, customerId, amount, kind: amount > 0n ? "TOPUP" : "CALL_CHARGES", idempotencyKey }));
}

async function stateOf(customerId: string) {
  return db().customer.findUniqueOrThrow({ where: { id: customerId }, select: { status: true, lockSource: true, balance: true } });
}

describe("balance lock and unlock decided on a stale read", () => {
  it("does not lock an account whose top-up committed while the low-balance mail was going out", async () => {
    const { tenant, customer } = await createWorld();
    const email = "owner@stale-lock.test";
    await db().customer.update({ where: { id: customer.id }, data: { contactEmail: email, lowBalanceThreshold: 5_000_000n, lockThreshold: 0n } });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 10_000_000n, kind: "TOPUP", idempotencyKey: "t1" });
    await services.runner.drain();

    // E1: a charge takes the balance to the lock threshold.
    await commitSilently(tenant.id, customer.id, -10_000_000n, "c1");
    let second: { actions: string[] } | null = null;
    services.smtp.beforeAccept(async (mail) => {
      if (!mail.to.includes(email) || !/Low balance/.test(mail.subject) || second) return;
      // E2: a top-up commits while E1's mail is on its way; its reaction finds an active account that can carry calls.
      await commitSilently(tenant.id, customer.id, 20_000_000n, "t2");
      second = await reactToBalanceChange({ tenantId: tenant.id, customerId: customer.id });
    });
    const first = await reactToBalanceChange({ tenantId: tenant.id, customerId: customer.id });
    services.smtp.beforeAccept(null);

    expect(second).toEqual({ actions: [] });
    expect(first.actions).toEqual(["low-balance-alert"]);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null, balance: 20_000_000n });
    expect(await db().auditEvent.count({ where: { tenantId: tenant.id, targetId: customer.id, action: "customer.locked" } })).toBe(0);
  });

  it("does not unlock an account whose charge committed while the low-balance mail was going out", async () => {
    const { tenant, customer } = await createWorld();
    const email = "owner@stale-unlock.test";
    await db().customer.update({ where: { id: customer.id }, data: { contactEmail: email, lowBalanceThreshold: 5_000_000n, lockThreshold: 0n } });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "c0" });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
    // Re-arm the low-balance mail (as an admin raising the threshold would), so E1 mails before it unlocks.
    await db().customer.update({ where: { id: customer.id }, data: { lowBalanceAlerted: false } });

    // E1: a small payment brings the balance above the lock threshold, still below the low-balance one.
    await commitSilently(tenant.id, customer.id, 4_000_000n, "t1");
    let second: { actions: string[] } | null = null;
    services.smtp.beforeAccept(async (mail) => {
      if (!mail.to.includes(email) || !/Low balance/.test(mail.subject) || second) return;
      // E2: calls are charged meanwhile; the balance cannot carry calls again, and the account is still locked.
      await commitSilently(tenant.id, customer.id, -5_000_000n, "c1");
      second = await reactToBalanceChange({ tenantId: tenant.id, customerId: customer.id });
    });
    const first = await reactToBalanceChange({ tenantId: tenant.id, customerId: customer.id });
    services.smtp.beforeAccept(null);

    expect(second).toEqual({ actions: [] });
    expect(first.actions).toEqual(["low-balance-alert"]);
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: -2_000_000n });
  });
});

describe("balance reaction sweep", () => {
  it("repairs the system's own lock recorded after the newest entry, and still spares an admin's", async () => {
    const { tenant, customer, otherCustomer } = await createWorld();
    for (const id of [customer.id, otherCustomer.id]) {
      await postLedgerEntry({ tenantId: tenant.id, customerId: id, amount: 30_000_000n, kind: "TOPUP", idempotencyKey: `t-${id}` });
    }
    await services.runner.drain();
    // What a stale balance lock used to leave behind: locked by the system after the top-up, with money on the account.
    await db().$transaction(async (tx) => {
      await tx.customer.update({ where: { id: customer.id }, data: { status: "LOCKED", lockSource: "BALANCE", lockReason: "Balance 0.00 USD cannot carry calls", lockedAt: new Date() } });
      await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM_ACTOR, action: "customer.locked", targetType: "customer", targetId: customer.id, after: { source: "BALANCE", reason: "stale" } });
    });
    // An admin's unlock of an account that cannot carry calls is a decision the sweep leaves alone.
    await db().customer.update({ where: { id: otherCustomer.id }, data: { lockThreshold: 40_000_000n } });
    await db().$transaction(async (tx) => {
      await recordAudit(tx, {
        tenantId: tenant.id,
        actor: { userId: null, email: "admin@example.test", ip: "127.0.0.1" },
        action: "customer.unlocked",
        targetType: "customer",
        targetId: otherCustomer.id,
        after: { source: "MANUAL", reason: "Promised to pay" },
      });
    });

    const swept = await sweepBalanceReactions();
    await services.runner.drain();
    expect(swept.actions.unlocked).toBe(1);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null, balance: 30_000_000n });
    expect(await stateOf(otherCustomer.id)).toMatchObject({ status: "ACTIVE" });
  });
});
