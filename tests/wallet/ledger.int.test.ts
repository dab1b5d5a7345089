import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { findLedgerDrift, postLedgerEntriesOnConnection, postLedgerEntry, postLedgerEntryInTransaction } from "@/server/wallet/ledger";
import { sweepBalanceReactions } from "@/server/wallet/account-state";
import { adjustBalance, lockCustomer, unlockCustomer } from "@/server/wallet/wallet";
import { postRecurringFees, saveRecurringCharge } from "@/server/wallet/recurring";
import { createCustomer, createTenant, createWorld, TEST_ACTOR } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { expectStillWaiting } from "../support/waiting";

const services = withMoneyServices({ smtp: true, drainMs: 100_000 });

const actor = TEST_ACTOR;

describe("ledger", () => {
  it("keeps balance == SUM(ledger) under random concurrent postings, and posts each key once", async () => {
    const tenant = await createTenant();
    const customers = await Promise.all([0, 1, 2].map(() => createCustomer(tenant.id)));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ customer: fc.integer({ min: 0, max: 2 }), amount: fc.bigInt({ min: -5_000_000n, max: 5_000_000n }), key: fc.integer({ min: 0, max: 15 }) }),
          { minLength: 1, maxLength: 40 },
        ),
        async (operations) => {
          round += 1;
          // A key always means the same posting, as it does in production (derived from what it is).
          const byKey = new Map<number, (typeof operations)[number]>();
          for (const operation of operations) if (!byKey.has(operation.key)) byKey.set(operation.key, operation);
          const results = await Promise.all(
            operations.map((operation) => {
              const canonical = byKey.get(operation.key)!;
              const customer = customers[canonical.customer]!;
              return postLedgerEntry({
                tenantId: tenant.id,
                customerId: customer.id,
                amount: canonical.amount,
                kind: "ADJUSTMENT",
                idempotencyKey: `prop:${round}:${operation.key}`,
              });
            }),
          );
          expect(results.filter((result) => result.created)).toHaveLength(byKey.size);
          expect(await findLedgerDrift({ tenantId: tenant.id })).toEqual([]);
          const entries = await db().ledgerEntry.count({ where: { tenantId: tenant.id, idempotencyKey: { startsWith: `prop:${round}:` } } });
          expect(entries).toBe(byKey.size);
        },
      ),
      { numRuns: 25 },
    );
    // Each entry's balance_after chains from the previous one, per customer.
    for (const customer of customers) {
      const entries = await db().ledgerEntry.findMany({ where: { customerId: customer.id }, orderBy: { id: "asc" } });
      let running = 0n;
      for (const entry of entries) {
        running += entry.amount;
        expect(entry.balanceAfter).toBe(running);
      }
    }
  });

  it("refuses to reuse a key for a different posting", async () => {
    const { tenant, customer } = await createWorld();
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 1_000_000n, kind: "ADJUSTMENT", idempotencyKey: "same" });
    await expect(postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 2_000_000n, kind: "ADJUSTMENT", idempotencyKey: "same" })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses a key whose first posting, for another customer, won the race past the lookup", async () => {
    const tenant = await createTenant();
    const [alice, bob] = await Promise.all([createCustomer(tenant.id), createCustomer(tenant.id)]);
    // Alice's posting of the key, written and not yet committed: Bob's lookup cannot see it, and
    // his insert waits on the unique index for it (the customer locks do not serialise the two).
    const winner = await pool().connect();
    try {
      await winner.query("BEGIN");
      await postLedgerEntriesOnConnection(winner, [{ tenantId: tenant.id, customerId: alice.id, amount: -1_000_000n, kind: "ADJUSTMENT", idempotencyKey: "raced" }]);
      const loser = postLedgerEntry({ tenantId: tenant.id, customerId: bob.id, amount: -1_000_000n, kind: "ADJUSTMENT", idempotencyKey: "raced" });
      await expectStillWaiting(loser, winner);
      await winner.query("COMMIT");
      await expect(loser).rejects.toMatchObject({ code: "CONFLICT", message: "Idempotency key raced was already used for a different posting" });
    } finally {
      winner.release();
    }
    const entries = await db().ledgerEntry.findMany({ where: { tenantId: tenant.id }, select: { customerId: true } });
    expect(entries).toEqual([{ customerId: alice.id }]);
    expect(await findLedgerDrift({ tenantId: tenant.id })).toEqual([]);
  });

  it("posts a manual adjustment once per form, with its reason, audited", async () => {
    const { tenant, customer } = await createWorld();
    const requestId = "7b1d2c3b-0a1b-4c5d-8e9f-0123456789ab";
    const first = await adjustBalance({ tenantId: tenant.id, actor, adjustment: { customerId: customer.id, amount: "25.50", reason: "Goodwill credit", requestId } });
    const again = await adjustBalance({ tenantId: tenant.id, actor, adjustment: { customerId: customer.id, amount: "25.50", reason: "Goodwill credit", requestId } });
    expect(first).toMatchObject({ balanceAfter: 25_500_000n, created: true });
    expect(again).toMatchObject({ balanceAfter: 25_500_000n, created: false });
    expect((await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).balance).toBe(25_500_000n);
    await expect(adjustBalance({ tenantId: tenant.id, actor, adjustment: { customerId: customer.id, amount: "1.5x", reason: "typo", requestId: "8b1d2c3b-0a1b-4c5d-8e9f-0123456789ab" } })).rejects.toThrow();
    expect(await db().auditEvent.count({ where: { tenantId: tenant.id, action: "wallet.credited" } })).toBe(2);
  });
});

describe("recurring fees", () => {
  it("charge each fee once per period, however often the cron runs", async () => {
    const { tenant, customer } = await createWorld();
    await saveRecurringCharge({ tenantId: tenant.id, actor, charge: { customerId: customer.id, description: "DID +16135550100 monthly", amount: "2.00", startsOn: new Date("2026-01-01") } });
    const november = new Date("2026-11-10T12:00:00Z");
    expect(await postRecurringFees({ now: november, tenantId: tenant.id })).toEqual({ posted: 1, alreadyPosted: 0, failed: [] });
    expect(await postRecurringFees({ now: november, tenantId: tenant.id })).toEqual({ posted: 0, alreadyPosted: 1, failed: [] });
    // A top-up in between does not make the fee post again.
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 50_000_000n, kind: "TOPUP", idempotencyKey: "stripe:pi:test" });
    expect(await postRecurringFees({ now: new Date("2026-11-30T23:00:00Z"), tenantId: tenant.id })).toEqual({ posted: 0, alreadyPosted: 1, failed: [] });
    // December (in the tenant's zone, America/Toronto: still November at 03:00 UTC on Dec 1).
    expect(await postRecurringFees({ now: new Date("2026-12-01T03:00:00Z"), tenantId: tenant.id })).toEqual({ posted: 0, alreadyPosted: 1, failed: [] });
    expect(await postRecurringFees({ now: new Date("2026-12-01T06:00:00Z"), tenantId: tenant.id })).toEqual({ posted: 1, alreadyPosted: 0, failed: [] });
    const fees = await db().ledgerEntry.findMany({ where: { customerId: customer.id, kind: "RECURRING_FEE" }, orderBy: { id: "asc" } });
    expect(fees.map((fee) => [fee.amount, fee.memo])).toEqual([
      [-2_000_000n, "DID +16135550100 monthly (2026-11)"],
      [-2_000_000n, "DID +16135550100 monthly (2026-12)"],
    ]);
  });
});

describe("low balance, lock and unlock", () => {
  it("emails once per crossing, locks a prepaid account that runs dry, and unlocks it after a credit", async () => {
    const { tenant, customer } = await createWorld();
    await db().customer.update({ where: { id: customer.id }, data: { contactEmail: "owner@lowbalance.test", lowBalanceThreshold: 5_000_000n, lockThreshold: 0n } });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 10_000_000n, kind: "TOPUP", idempotencyKey: "t1" });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: -6_000_000n, kind: "CALL_CHARGES", idempotencyKey: "c1" });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "c2" });
    await services.runner.drain();
    const lowAlerts = () => services.smtp.received.filter((mail) => mail.to.includes("owner@lowbalance.test") && /Low balance/.test(mail.subject));
    expect(lowAlerts()).toHaveLength(1);
    expect((await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).status).toBe("ACTIVE");

    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: -3_000_000n, kind: "CALL_CHARGES", idempotencyKey: "c3" });
    await services.runner.drain();
    const locked = await db().customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(locked).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: 0n });
    await services.smtp.waitFor((mail) => mail.to.includes("owner@lowbalance.test") && /on hold/.test(mail.subject));
    expect(await db().jobRun.count({ where: { tenantId: tenant.id, functionId: "wallet-balance-changed", status: "COMPLETED" } })).toBe(4);

    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 20_000_000n, kind: "TOPUP", idempotencyKey: "t2" });
    await services.runner.drain();
    expect(await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ status: "ACTIVE", lockSource: null, lowBalanceAlerted: false });
    // Crossing below again is a new crossing: a second email.
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: -17_000_000n, kind: "CALL_CHARGES", idempotencyKey: "c4" });
    await services.runner.drain();
    expect(lowAlerts()).toHaveLength(2);
  });

  it("catches a lost balance-changed event in the sweep: the lock and the email happen once", async () => {
    const { tenant, customer } = await createWorld();
    await db().customer.update({ where: { id: customer.id }, data: { contactEmail: "owner@lost-event.test", lowBalanceThreshold: 5_000_000n, lockThreshold: 0n } });
    // Committed, but the process "died" before its event: nothing reacts.
    await db().$transaction((tx) =>
      postLedgerEntryInTransaction(tx, { tenantId: tenant.id, customerId: customer.id, amount: -2_000_000n, kind: "CALL_CHARGES", idempotencyKey: "lost-1" }),
    );
    await services.runner.drain();
    expect(await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ status: "ACTIVE", lowBalanceAlerted: false });

    const [runId] = await services.runner.fireCron("wallet-balance-sweep", new Date("2026-12-02T05:10:00Z"));
    await services.runner.drain();
    const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("COMPLETED");
    expect(await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", lowBalanceAlerted: true });
    await services.smtp.waitFor((mail) => mail.to.includes("owner@lost-event.test") && /Low balance/.test(mail.subject));

    // An account that never had an entry is left alone, though it sits at zero.
    const untouched = await createCustomer(tenant.id, { billingType: "PREPAID" });
    await sweepBalanceReactions();
    expect(await db().customer.findUniqueOrThrow({ where: { id: untouched.id } })).toMatchObject({ status: "ACTIVE", lowBalanceAlerted: false });

    // Caught up: the next sweep finds nothing to do for this customer.
    const again = await sweepBalanceReactions();
    expect(again.actions.locked ?? 0).toBe(0);
    expect(services.smtp.received.filter((mail) => mail.to.includes("owner@lost-event.test") && /Low balance/.test(mail.subject))).toHaveLength(1);

    // An admin unlocks the account on purpose: the sweep leaves that decision alone.
    await unlockCustomer({ tenantId: tenant.id, actor, change: { customerId: customer.id, reason: "Customer promised to pay today" } });
    await sweepBalanceReactions();
    await services.runner.drain();
    expect((await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).status).toBe("ACTIVE");
  });

  it("lets admins lock and unlock by hand with a reason; a manual lock is not lifted by a payment", async () => {
    const { tenant, customer } = await createWorld();
    await lockCustomer({ tenantId: tenant.id, actor, change: { customerId: customer.id, reason: "Fraud review" } });
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 50_000_000n, kind: "TOPUP", idempotencyKey: "t-manual" });
    await services.runner.drain();
    expect(await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ status: "LOCKED", lockSource: "MANUAL", lockReason: "Fraud review" });
    await expect(lockCustomer({ tenantId: tenant.id, actor, change: { customerId: customer.id, reason: "Again" } })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await unlockCustomer({ tenantId: tenant.id, actor, change: { customerId: customer.id, reason: "Review cleared" } });
    expect((await db().customer.findUniqueOrThrow({ where: { id: customer.id } })).status).toBe("ACTIVE");
    const actions = (await db().auditEvent.findMany({ where: { tenantId: tenant.id, targetId: customer.id }, orderBy: { at: "asc" } })).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(["customer.locked", "customer.unlocked"]));
  });
});
