import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { reconcileTenantPayments } from "@/server/payments/reconcile";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { waitForLockWaiters } from "../support/waiting";
import { balanceOf, deliverToTenantEndpoint, paymentsAs } from "../support/payments";

const services = withMoneyServices({ smtp: true, stripe: true });
const as = paymentsAs;
const webhook = (slug: string, event: unknown) => deliverToTenantEndpoint(services.stripe, slug, event);

/**
 * A tenant admin settles by hand the card payments reconciliation with Stripe left to a person:
 * the real SDK against the fake Stripe, the real database and webhook route. Money moves once
 * whichever of the admin, a late webhook or reconciliation comes first.
 */

type TWorld = Awaited<ReturnType<typeof createWorld>>;

async function paymentOf(paymentId: string) {
  return db().payment.findUniqueOrThrow({ where: { id: paymentId } });
}

async function age(paymentId: string, minutes: number) {
  await db().$executeRaw`UPDATE payments SET created_at = now() - make_interval(mins => ${minutes}) WHERE id = ${paymentId}::uuid`;
}

/**
 * A top-up paid at Stripe whose stored Checkout Session id no longer leads to it (as after a
 * change of account), checked by reconciliation, which leaves it to a person.
 */
async function needingPerson(world: TWorld, amount = "25.00") {
  const started = await (await as(world.customerAdmin.user.id)).startTopUp({ amount, saveCard: false });
  const paid = await services.stripe.pay((await paymentOf(started.paymentId)).checkoutSessionId ?? "");
  await db().payment.update({ where: { id: started.paymentId }, data: { checkoutSessionId: `cs_test_missing_${randomUUID()}` } });
  await age(started.paymentId, 20);
  const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
  expect(report.payments.find((entry) => entry.paymentId === started.paymentId)).toMatchObject({ outcome: "unresolved" });
  return { paymentId: started.paymentId, paid };
}

/** A refusal the form shows next to the PaymentIntent field. */
function fieldError(message: RegExp) {
  return { code: "BAD_REQUEST", cause: { fieldErrors: { paymentIntentId: [expect.stringMatching(message)] } } };
}


async function settledAudit(paymentId: string) {
  return db().auditEvent.findMany({ where: { action: "payment.settled_by_hand", targetId: paymentId } });
}

describe("settling a stuck payment as paid", () => {
  it("credits it once under the webhook's key: the late webhook and the next reconciliation find it done", async () => {
    const world = await createWorld();
    const { paymentId, paid } = await needingPerson(world);
    const admin = await as(world.admin.user.id);

    expect(await admin.settleByHand({ paymentId, outcome: "paid", paymentIntentId: paid.intent.id, reason: "Found it in the dashboard" })).toEqual({ status: "SUCCEEDED" });
    expect(await paymentOf(paymentId)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paid.intent.id });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    const [audit] = await settledAudit(paymentId);
    expect(audit).toMatchObject({ actorUserId: world.admin.user.id, before: { status: "PENDING" } });
    expect(audit?.after).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paid.intent.id, reason: "Found it in the dashboard", stripe: expect.stringMatching(/^checked/) });

    expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
    expect((await webhook(world.tenant.slug, paid.events.succeeded)).status).toBe(200);
    await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id } })).toBe(1);

    // Settled: a second try is refused, and moves nothing.
    await expect(admin.settleByHand({ paymentId, outcome: "paid", paymentIntentId: paid.intent.id, reason: "Again" })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
  });

  it("takes the admin's word for a PaymentIntent the current Stripe account does not know, and says so in the audit log", async () => {
    const world = await createWorld();
    const { paymentId } = await needingPerson(world);
    await (await as(world.admin.user.id)).settleByHand({ paymentId, outcome: "paid", paymentIntentId: "pi_madeInTheOldAccount1", reason: "Paid in our old Stripe account" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect((await settledAudit(paymentId))[0]?.after).toMatchObject({ stripe: expect.stringMatching(/^not checked: not found/) });
  });

  it("refuses a PaymentIntent Stripe says is for another payment, of another amount, not paid, or one already credited", async () => {
    const world = await createWorld();
    const first = await needingPerson(world, "25.00");
    const second = await needingPerson(world, "40.00");
    const admin = await as(world.admin.user.id);
    const settle = (paymentId: string, paymentIntentId: string) => admin.settleByHand({ paymentId, outcome: "paid", paymentIntentId, reason: "Checked" }).catch((caught: unknown) => caught);

    // The first payment's PaymentIntent names the first payment in its metadata.
    expect(await settle(second.paymentId, first.paid.intent.id)).toMatchObject(fieldError(/another payment/));
    await db().$executeRaw`UPDATE payments SET amount = 30000000 WHERE id = ${first.paymentId}::uuid`;
    expect(await settle(first.paymentId, first.paid.intent.id)).toMatchObject(fieldError(/not this payment's amount/));
    await db().$executeRaw`UPDATE payments SET amount = 25000000 WHERE id = ${first.paymentId}::uuid`;

    await settle(first.paymentId, first.paid.intent.id);
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    // A PaymentIntent Stripe does not know, already used by the first payment's credit: not again.
    const third = await needingPerson(world, "10.00");
    await settle(third.paymentId, "pi_madeInTheOldAccount2");
    expect(await settle(second.paymentId, "pi_madeInTheOldAccount2")).toMatchObject(fieldError(/already paid another payment/));
    expect(await balanceOf(world.customer.id)).toBe(35_000_000n);
    expect(await paymentOf(second.paymentId)).toMatchObject({ status: "PENDING" });

    expect(await settle(second.paymentId, "not-an-id")).toMatchObject({ code: "BAD_REQUEST" });

    // Taken on the admin's word only if no other tenant's payment holds it (Stripe routes its own events by it).
    const other = await createWorld();
    const theirs = await needingPerson(other, "12.00");
    await db().payment.update({ where: { id: theirs.paymentId }, data: { paymentIntentId: "pi_ofAnotherTenant9" } });
    expect(await settle(second.paymentId, "pi_ofAnotherTenant9")).toMatchObject(fieldError(/already paid another payment/));
  });
});

describe("settling by hand while Stripe's webhook arrives", () => {
  it("credits once when the admin's settlement and the webhook of the real PaymentIntent wait on the same customer", async () => {
    const world = await createWorld();
    const { paymentId, paid } = await needingPerson(world);
    const admin = await as(world.admin.user.id);
    const holder = await pool().connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM customers WHERE id = $1 FOR UPDATE", [world.customer.id]);
      const settling = admin.settleByHand({ paymentId, outcome: "paid", paymentIntentId: "pi_typedByTheAdmin1", reason: "Checked the old account" });
      const delivering = webhook(world.tenant.slug, paid.events.completed);
      await waitForLockWaiters(2);
      await holder.query("COMMIT");
      const [settled, delivered] = await Promise.allSettled([settling, delivering]);
      // Whichever locked the customer first settled it; the other found it settled. No deadlock either way.
      if (settled.status === "rejected") expect(settled.reason).toMatchObject({ code: "CONFLICT" });
      expect(delivered).toMatchObject({ status: "fulfilled", value: { status: 200 } });
    } finally {
      holder.release();
    }
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id } })).toBe(1);
    expect(await paymentOf(paymentId)).toMatchObject({ status: "SUCCEEDED" });
  });
});

describe("closing a stuck payment as not paid", () => {
  it("is refused while Stripe says it was paid, naming the PaymentIntent to settle it with", async () => {
    const world = await createWorld();
    const { paymentId, paid } = await needingPerson(world);
    // Reconciliation left it to a person; the session the row names is paid after all.
    await db().payment.update({ where: { id: paymentId }, data: { checkoutSessionId: String(paid.session.id) } });
    const refused = await (await as(world.admin.user.id)).settleByHand({ paymentId, outcome: "unpaid", reason: "Looked unpaid" }).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining(paid.intent.id) });
    expect(await paymentOf(paymentId)).toMatchObject({ status: "PENDING" });
  });

  it("fails a top-up without moving money; the change of Stripe account it blocked goes through; a late webhook still credits it once", async () => {
    const world = await createWorld();
    const { paymentId, paid } = await needingPerson(world);
    const admin = await as(world.admin.user.id);

    expect(await admin.settleByHand({ paymentId, outcome: "unpaid", reason: "Not in the dashboard" })).toEqual({ status: "FAILED" });
    expect(await paymentOf(paymentId)).toMatchObject({ status: "FAILED", failureCode: "closed_by_staff", failureMessage: "Not in the dashboard" });
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await db().payment.count({ where: { tenantId: world.tenant.id, status: "PENDING" } })).toBe(0);

    // Stripe was right after all: its webhook credits the payment, once.
    expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
    expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
    expect(await paymentOf(paymentId)).toMatchObject({ status: "SUCCEEDED" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
  });

  it("fails an automatic top-up as a failed recharge does, without mailing the customer", async () => {
    const world = await createWorld();
    // A saved card through a credited top-up, then a recharge whose answer was lost and whose id leads nowhere.
    const started = await (await as(world.customerAdmin.user.id)).startTopUp({ amount: "25.00", saveCard: true });
    const paid = await services.stripe.pay((await paymentOf(started.paymentId)).checkoutSessionId ?? "");
    expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
    await (await as(world.customerAdmin.user.id)).saveAutoRecharge({ enabled: true, threshold: "20.00", amount: "50.00", topUpTo: null, maxPerDay: 3 });
    services.stripe.setOffSessionOutcome("unavailable");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -30_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls" });
    await services.runner.drain();
    services.stripe.setOffSessionOutcome("succeed");
    const recharge = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    await db().payment.update({ where: { id: recharge.id }, data: { paymentIntentId: "pi_test_not_in_this_account" } });
    await age(recharge.id, 20);
    expect((await reconcileTenantPayments({ tenantId: world.tenant.id })).payments[0]).toMatchObject({ outcome: "unresolved" });
    const mailsBefore = services.smtp.received.length;

    await (await as(world.admin.user.id)).settleByHand({ paymentId: recharge.id, outcome: "unpaid", reason: "Declined in the dashboard" });
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "FAILED", failureCode: "closed_by_staff" });
    // -5.00 cannot carry calls: locked as after any failed recharge.
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id }, select: { status: true } })).toEqual({ status: "LOCKED" });
    await services.runner.drain();
    expect(services.smtp.received.slice(mailsBefore).filter((mail) => /Automatic top-up failed/.test(mail.subject))).toEqual([]);
  });
});

describe("who may settle what", () => {
  it("refuses a payment Stripe is still being asked about, support staff, and another tenant's payment", async () => {
    const world = await createWorld();
    const fresh = await (await as(world.customerAdmin.user.id)).startTopUp({ amount: "25.00", saveCard: false });
    await expect((await as(world.admin.user.id)).settleByHand({ paymentId: fresh.paymentId, outcome: "unpaid", reason: "Impatient" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/still being asked/),
    });

    const { paymentId } = await needingPerson(world);
    await expect((await as(world.support.user.id)).settleByHand({ paymentId, outcome: "unpaid", reason: "Support" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const other = await createWorld();
    await expect((await as(other.admin.user.id)).settleByHand({ paymentId, outcome: "unpaid", reason: "Not mine" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await paymentOf(paymentId)).toMatchObject({ status: "PENDING" });
  });
});
