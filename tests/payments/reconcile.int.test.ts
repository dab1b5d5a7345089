import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { EmbeddedRunner } from "@/server/jobs/embedded-runner";
import { paymentsReconcile } from "@/server/jobs/functions/payments-reconcile";
import { chargeAutoRecharge, claimAutoRecharge } from "@/server/payments/auto-recharge";
import { stripeClient, Stripe } from "@/server/payments/stripe-client";
import { reconcileTenantPayments, tenantsWithStalePayments, type TTenantReconciliation } from "@/server/payments/reconcile";
import { postLedgerEntry, postLedgerEntryInTransaction } from "@/server/wallet/ledger";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { waitForLockWaiters } from "../support/waiting";
import { balanceOf, deliverToTenantEndpoint, paymentsAs } from "../support/payments";

const services = withMoneyServices({ smtp: true, stripe: true });
const as = paymentsAs;
const webhook = (slug: string, event: unknown, secret?: string) => deliverToTenantEndpoint(services.stripe, slug, event, secret);

/**
 * Reconciliation of PENDING card payments with Stripe when their webhook never came: the real
 * SDK against the fake Stripe, the real database, and the webhook route for the events that
 * arrive late (or at the same moment). After each test balance == SUM(ledger) for everyone.
 */


type TWorld = Awaited<ReturnType<typeof createWorld>>;



async function paymentOf(paymentId: string) {
  return db().payment.findUniqueOrThrow({ where: { id: paymentId } });
}

/** The payment began this long ago (the webhook had all that time to come). */
async function age(paymentId: string, minutes: number) {
  await db().$executeRaw`UPDATE payments SET created_at = now() - make_interval(mins => ${minutes}) WHERE id = ${paymentId}::uuid`;
}

/** A Checkout top-up the customer started, not paid (yet). */
async function startedTopUp(world: TWorld, amount: string, saveCard = false) {
  const started = await (await as(world.customerAdmin.user.id)).startTopUp({ amount, saveCard });
  return paymentOf(started.paymentId);
}

/** A Checkout top-up the customer paid at Stripe, whose events have not been delivered. */
async function paidTopUp(world: TWorld, amount: string, saveCard = false) {
  const payment = await startedTopUp(world, amount, saveCard);
  const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
  return { payment, paid };
}

function outcomeOf(report: TTenantReconciliation, paymentId: string) {
  return report.payments.find((entry) => entry.paymentId === paymentId);
}

/** Stripe requests about one object (its path or a list filtered by the customer) since `from`. */
function stripeCalls(from: number, match: (path: string) => boolean) {
  return services.stripe.requests.slice(from).filter((request) => match(request.path));
}

/** A saved card (through a top-up of 25.00, credited by its webhook) and auto-recharge turned on. */
async function withAutoRecharge(world: TWorld, settings: { threshold: string; amount: string }) {
  const { paid } = await paidTopUp(world, "25.00", true);
  expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
  await (await as(world.customerAdmin.user.id)).saveAutoRecharge({ enabled: true, threshold: settings.threshold, amount: settings.amount, topUpTo: null, maxPerDay: 3 });
  await services.runner.drain();
}

async function rechargeOf(world: TWorld) {
  return db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" }, orderBy: { createdAt: "desc" } });
}


async function auditOf(paymentId: string) {
  return db().auditEvent.findMany({ where: { action: "payment.reconciled", targetId: paymentId } });
}

describe("a top-up whose webhook was lost", () => {
  it("is credited once from what Stripe says, with its card saved, and an audit event says who settled it", async () => {
    const world = await createWorld();
    const { payment, paid } = await paidTopUp(world, "25.00", true);
    await age(payment.id, 20);

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(report).toMatchObject({ error: null, checked: 1 });
    expect(outcomeOf(report, payment.id)).toMatchObject({ outcome: "credited", detail: expect.stringContaining("complete, paid") });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await paymentOf(payment.id)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paid.intent.id });
    const entries = await db().ledgerEntry.findMany({ where: { customerId: world.customer.id } });
    expect(entries.map((entry) => [entry.idempotencyKey, entry.amount])).toEqual([[`stripe:pi:${paid.intent.id}`, 25_000_000n]]);
    // What the webhook would have done besides: the card the customer asked to keep.
    expect(await db().paymentMethod.findMany({ where: { customerId: world.customer.id }, select: { stripePaymentMethodId: true, isDefault: true } })).toEqual([
      { stripePaymentMethodId: paid.card.id, isDefault: true },
    ]);
    const audit = await auditOf(payment.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tenantId: world.tenant.id, actorEmail: "system", targetType: "payment", after: { status: "SUCCEEDED", kind: "TOPUP" } });
    // No event was recorded: the real ones are still to come, and must find nothing to do.
    expect(await db().stripeEvent.count({ where: { tenantId: world.tenant.id } })).toBe(0);

    // Reconciled again: nothing is PENDING any more.
    expect(await reconcileTenantPayments({ tenantId: world.tenant.id })).toMatchObject({ checked: 0, payments: [] });
    // Stripe delivers the events after all, each twice.
    for (const event of [paid.events.completed, paid.events.succeeded, paid.events.completed, paid.events.succeeded]) {
      expect((await webhook(world.tenant.slug, event)).status).toBe(200);
    }
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id } })).toBe(1);
    expect(await db().paymentMethod.count({ where: { customerId: world.customer.id } })).toBe(1);
    expect(await auditOf(payment.id)).toHaveLength(1);
  });

  it("credits nothing more when the webhook came first", async () => {
    const world = await createWorld();
    const { payment, paid } = await paidTopUp(world, "30.00");
    await age(payment.id, 20);
    expect((await webhook(world.tenant.slug, paid.events.succeeded)).status).toBe(200);

    expect(await reconcileTenantPayments({ tenantId: world.tenant.id })).toMatchObject({ checked: 0, error: null });
    expect(await balanceOf(world.customer.id)).toBe(30_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id } })).toBe(1);
    expect(await auditOf(payment.id)).toHaveLength(0);
  });

  it("moves money once when the webhooks and reconciliation (twice) settle the same payments at the same moment", async () => {
    const world = await createWorld();
    const amounts = ["10.00", "11.00", "12.00", "13.00", "14.00", "15.00"];
    const topUps = [];
    for (const amount of amounts) topUps.push(await paidTopUp(world, amount));
    for (const { payment } of topUps) await age(payment.id, 20);

    const [reportA, reportB, ...answers] = await Promise.all([
      reconcileTenantPayments({ tenantId: world.tenant.id }),
      reconcileTenantPayments({ tenantId: world.tenant.id }),
      ...topUps.flatMap(({ paid }) => [webhook(world.tenant.slug, paid.events.completed), webhook(world.tenant.slug, paid.events.succeeded)]),
    ]);
    for (const answer of answers) expect((answer as Response).status).toBe(200);
    for (const report of [reportA, reportB]) {
      expect(report.error).toBeNull();
      for (const entry of report.payments) expect(["credited", "already-settled"]).toContain(entry.outcome);
    }
    // However the race went, each payment was credited by exactly one of them.
    const credited = [...reportA.payments, ...reportB.payments].filter((entry) => entry.outcome === "credited").map((entry) => entry.paymentId);
    expect(new Set(credited).size).toBe(credited.length);

    expect(await balanceOf(world.customer.id)).toBe(75_000_000n);
    for (const { payment, paid } of topUps) {
      expect(await paymentOf(payment.id)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paid.intent.id });
      expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, idempotencyKey: `stripe:pi:${paid.intent.id}` } })).toBe(1);
      // An audit event only where reconciliation was the one that settled it.
      expect(await auditOf(payment.id)).toHaveLength(credited.includes(payment.id) ? 1 : 0);
    }
    const sum = await db().ledgerEntry.aggregate({ where: { customerId: world.customer.id }, _sum: { amount: true } });
    expect(sum._sum.amount).toBe(75_000_000n);
  });

  it("credits once when the webhooks and reconciliation wait on the same customer and are let go together", async () => {
    const world = await createWorld();
    const { payment, paid } = await paidTopUp(world, "25.00", true);
    await age(payment.id, 20);
    // Another posting holds the customer: every settlement of this payment queues behind it.
    const holder = await pool().connect();
    let report: TTenantReconciliation;
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM customers WHERE id = $1::uuid FOR UPDATE", [world.customer.id]);
      const racing = Promise.all([
        reconcileTenantPayments({ tenantId: world.tenant.id }),
        webhook(world.tenant.slug, paid.events.completed),
        webhook(world.tenant.slug, paid.events.succeeded),
      ]);
      // Reconciliation's transaction and both events' are all blocked here at once.
      await waitForLockWaiters(3);
      await holder.query("COMMIT");
      const [reconciled, ...answers] = await racing;
      for (const answer of answers) expect(answer.status).toBe(200);
      report = reconciled;
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      holder.release();
    }
    const outcome = outcomeOf(report, payment.id)?.outcome;
    expect(["credited", "already-settled"]).toContain(outcome);
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().ledgerEntry.findMany({ where: { customerId: world.customer.id }, select: { idempotencyKey: true } })).toEqual([{ idempotencyKey: `stripe:pi:${paid.intent.id}` }]);
    expect(await db().paymentMethod.count({ where: { customerId: world.customer.id } })).toBe(1);
    expect(await paymentOf(payment.id)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paid.intent.id });
    expect(await auditOf(payment.id)).toHaveLength(outcome === "credited" ? 1 : 0);
  });

  it("leaves a payment alone for the grace period, then settles it", async () => {
    const world = await createWorld();
    const { payment } = await paidTopUp(world, "20.00");
    await age(payment.id, 14);
    const before = services.stripe.requests.length;

    expect(await tenantsWithStalePayments()).not.toContain(world.tenant.id);
    expect(await reconcileTenantPayments({ tenantId: world.tenant.id })).toMatchObject({ checked: 0 });
    // Stripe was not even asked.
    expect(stripeCalls(before, (path) => path.includes(payment.checkoutSessionId ?? "?"))).toHaveLength(0);
    expect(await paymentOf(payment.id)).toMatchObject({ status: "PENDING" });
    expect(await balanceOf(world.customer.id)).toBe(0n);

    await age(payment.id, 16);
    expect(await tenantsWithStalePayments()).toContain(world.tenant.id);
    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, payment.id)?.outcome).toBe("credited");
    expect(stripeCalls(before, (path) => path === `/v1/checkout/sessions/${payment.checkoutSessionId}`)).toHaveLength(1);
    expect(await balanceOf(world.customer.id)).toBe(20_000_000n);
  });
});

describe("a checkout that ends without a payment", () => {
  it("waits while the checkout is open, and fails the payment as checkout.session.expired does once Stripe expires it", async () => {
    const world = await createWorld();
    const payment = await startedTopUp(world, "25.00");
    await age(payment.id, 60);

    const open = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(open, payment.id)).toMatchObject({ outcome: "waiting", detail: expect.stringContaining("is open") });
    expect(await paymentOf(payment.id)).toMatchObject({ status: "PENDING", failureCode: null });
    // Tenant staff see what the check found on the customer's card payments.
    const listed = await (await as(world.support.user.id)).customerPayments({ customerId: world.customer.id });
    expect(listed.find((row) => row.id === payment.id)).toMatchObject({ status: "PENDING", reconcileCheckedAt: expect.any(Date), reconcileNote: expect.stringMatching(/^waiting: .* is open/) });

    const expired = services.stripe.expireSession(payment.checkoutSessionId ?? "");
    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, payment.id)).toMatchObject({ outcome: "failed", detail: expect.stringContaining("expired") });
    expect(await paymentOf(payment.id)).toMatchObject({ status: "FAILED", failureCode: "expired", failureMessage: "The checkout was not completed" });
    expect(await auditOf(payment.id)).toMatchObject([{ after: { status: "FAILED", failureCode: "expired" } }]);

    // The event arrives late: nothing left to do.
    expect((await webhook(world.tenant.slug, expired)).status).toBe(200);
    expect(await paymentOf(payment.id)).toMatchObject({ status: "FAILED", failureCode: "expired" });
    expect(await balanceOf(world.customer.id)).toBe(0n);
  });

  it("follows a delayed payment method: waits while it is processing, then credits or fails it as the checkout events do", async () => {
    const world = await createWorld();
    const good = await startedTopUp(world, "25.00");
    const bad = await startedTopUp(world, "30.00");
    const paidGood = services.stripe.payDelayed(good.checkoutSessionId ?? "");
    const paidBad = services.stripe.payDelayed(bad.checkoutSessionId ?? "");
    // The checkout completed, unpaid: nothing to credit yet.
    expect((await webhook(world.tenant.slug, paidGood.events.completed)).status).toBe(200);
    await age(good.id, 30);
    await age(bad.id, 30);

    const processing = await reconcileTenantPayments({ tenantId: world.tenant.id });
    for (const payment of [good, bad]) {
      expect(outcomeOf(processing, payment.id)).toMatchObject({ outcome: "waiting", detail: expect.stringContaining("is processing") });
      expect(await paymentOf(payment.id)).toMatchObject({ status: "PENDING" });
    }

    // The bank debits settle days later; their events are lost.
    services.stripe.settleIntent(paidGood.intent.id, "succeeded");
    services.stripe.settleIntent(paidBad.intent.id, "requires_payment_method");
    const settled = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(settled, good.id)).toMatchObject({ outcome: "credited" });
    expect(outcomeOf(settled, bad.id)).toMatchObject({ outcome: "failed" });
    expect(await paymentOf(good.id)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: paidGood.intent.id });
    expect(await paymentOf(bad.id)).toMatchObject({ status: "FAILED", failureCode: "payment_failed", failureMessage: "The checkout was not completed" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
  });

  it("fails a top-up whose checkout was never opened, and follows a session whose id was lost", async () => {
    const world = await createWorld();
    // The process died before Stripe was asked for a checkout.
    const tenant = await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id } });
    const orphan = await db().payment.create({
      data: { tenantId: world.tenant.id, customerId: world.customer.id, kind: "TOPUP", amount: 25_000_000n, currency: tenant.currency, status: "PENDING" },
    });
    // Stripe made this one's session, and the process died before storing its id.
    const lost = await startedTopUp(world, "40.00");
    await db().payment.update({ where: { id: lost.id }, data: { checkoutSessionId: null } });
    await age(orphan.id, 20);
    await age(lost.id, 20);

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, orphan.id)).toMatchObject({ outcome: "failed", detail: expect.stringContaining("never opened") });
    expect(await paymentOf(orphan.id)).toMatchObject({ status: "FAILED", failureCode: "checkout_unavailable" });
    expect((await paymentOf(orphan.id)).failureMessage).toContain("nothing was paid");
    // Found among the Stripe customer's sessions by the payment id in its metadata, and followed.
    expect(outcomeOf(report, lost.id)).toMatchObject({ outcome: "waiting" });
    expect(await paymentOf(lost.id)).toMatchObject({ status: "PENDING", checkoutSessionId: lost.checkoutSessionId });

    services.stripe.expireSession(lost.checkoutSessionId ?? "");
    expect(outcomeOf(await reconcileTenantPayments({ tenantId: world.tenant.id }), lost.id)).toMatchObject({ outcome: "failed" });
    expect(await paymentOf(lost.id)).toMatchObject({ status: "FAILED", failureCode: "expired" });
    expect(await balanceOf(world.customer.id)).toBe(0n);
  });

  it("leaves a payment whose session the tenant's Stripe does not know PENDING, and reports it", async () => {
    const world = await createWorld();
    const payment = await startedTopUp(world, "25.00");
    await db().payment.update({ where: { id: payment.id }, data: { checkoutSessionId: "cs_test_not_in_this_account" } });
    await age(payment.id, 20);

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(report.error).toBeNull();
    expect(outcomeOf(report, payment.id)).toMatchObject({ outcome: "unresolved", detail: expect.stringContaining("not found") });
    expect(await paymentOf(payment.id)).toMatchObject({ status: "PENDING" });
  });
});

describe("auto-recharge", () => {
  it("leaves a recharge past Stripe's idempotency window to reconciliation, which finds and credits a charge whose answer and webhook were lost", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "50.00" });
    services.stripe.setOffSessionOutcome("unavailable");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-window" });
    await services.runner.drain();
    services.stripe.setOffSessionOutcome("succeed");
    const recharge = await rechargeOf(world);
    expect(recharge).toMatchObject({ status: "PENDING", paymentIntentId: null });
    await age(recharge.id, 23 * 60 + 30);

    // The recharge's own retry, past the window: no resend, and not given up as failed.
    const before = services.stripe.requests.length;
    expect(await chargeAutoRecharge({ tenantId: world.tenant.id, paymentId: recharge.id })).toEqual({ status: "PENDING", code: "outcome_unknown" });
    expect(stripeCalls(before, () => true)).toEqual([]);
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "PENDING" });

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, recharge.id)).toMatchObject({ outcome: "credited" });
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n - 10_000_000n + 50_000_000n);
  });

  it("finds the PaymentIntent of a charge whose answer was lost by its metadata, credits it once, and a resumed claim charges nothing more", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "50.00" });
    // Stripe charges the card and every answer is lost.
    services.stripe.setOffSessionOutcome("unavailable");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-1" });
    await services.runner.drain();
    services.stripe.setOffSessionOutcome("succeed");
    const recharge = await rechargeOf(world);
    expect(recharge).toMatchObject({ status: "PENDING", paymentIntentId: null, failureCode: "outcome_unknown" });
    const charged = [...services.stripe.intents.values()].filter((intent) => (intent.metadata as Record<string, string>).payment_id === recharge.id);
    expect(charged).toHaveLength(1);
    await age(recharge.id, 20);

    const before = services.stripe.requests.length;
    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, recharge.id)).toMatchObject({ outcome: "credited", detail: `PaymentIntent ${charged[0]?.id} is succeeded` });
    // Looked up among the Stripe customer's PaymentIntents, not charged again.
    expect(stripeCalls(before, (path) => path.startsWith("/v1/payment_intents")).map((request) => `${request.method} ${request.path}`)).toEqual(["GET /v1/payment_intents"]);
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "SUCCEEDED", paymentIntentId: charged[0]?.id, failureCode: null });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n - 10_000_000n + 50_000_000n);
    expect(await auditOf(recharge.id)).toMatchObject([{ after: { status: "SUCCEEDED", kind: "AUTO_RECHARGE" } }]);

    // The recharge's own retry and Stripe's late event: no second charge, no second credit.
    expect(await chargeAutoRecharge({ tenantId: world.tenant.id, paymentId: recharge.id })).toEqual({ status: "SUCCEEDED" });
    expect((await webhook(world.tenant.slug, services.stripe.event("payment_intent.succeeded", charged[0]))).status).toBe(200);
    expect(stripeCalls(before, (path) => path === "/v1/payment_intents").filter((request) => request.method === "POST")).toHaveLength(0);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toBe(1);
    expect(await balanceOf(world.customer.id)).toBe(65_000_000n);
  });

  it("leaves a processing charge alone, and fails it under the auto-recharge rules when Stripe failed it without telling us", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    services.stripe.setOffSessionOutcome("processing");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -25_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-all" });
    await services.runner.drain();
    const recharge = await rechargeOf(world);
    expect(recharge).toMatchObject({ status: "PENDING", paymentIntentId: expect.stringMatching(/^pi_/) });
    await age(recharge.id, 30);

    const waiting = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(waiting, recharge.id)).toMatchObject({ outcome: "waiting", detail: expect.stringContaining("processing") });
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "PENDING" });
    expect((await db().autoRechargeSettings.findUniqueOrThrow({ where: { customerId: world.customer.id } })).suspendedAt).toBeNull();

    // The bank refuses it; the payment_intent.payment_failed event is lost.
    const failedEvent = services.stripe.settleIntent(recharge.paymentIntentId ?? "", "requires_payment_method");
    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, recharge.id)).toMatchObject({ outcome: "failed" });
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "FAILED", failureCode: "card_declined", failureMessage: "Your card has insufficient funds." });
    // The existing rules for a failed recharge: suspended, the customer told, locked (0.00 cannot carry calls).
    expect((await db().autoRechargeSettings.findUniqueOrThrow({ where: { customerId: world.customer.id } })).suspendedReason).toBe("Your card has insufficient funds.");
    await services.smtp.waitFor((mail) => mail.to.includes(world.customer.contactEmail) && /Automatic top-up failed/.test(mail.subject));
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: 0n });
    expect(await auditOf(recharge.id)).toMatchObject([{ after: { status: "FAILED", failureCode: "card_declined", kind: "AUTO_RECHARGE" } }]);

    // The event after all: no second failure mail.
    expect((await webhook(world.tenant.slug, failedEvent)).status).toBe(200);
    await services.runner.drain();
    expect(await db().outboundEmail.count({ where: { to: world.customer.contactEmail, subject: { contains: "Automatic top-up failed" } } })).toBe(1);
  });

  it("fails a charge canceled at Stripe, which no event we handle reports", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    services.stripe.setOffSessionOutcome("processing");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-1" });
    await services.runner.drain();
    const recharge = await rechargeOf(world);
    await age(recharge.id, 30);
    const canceled = services.stripe.settleIntent(recharge.paymentIntentId ?? "", "canceled");
    expect((await webhook(world.tenant.slug, canceled)).status).toBe(200);
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "PENDING" });

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, recharge.id)).toMatchObject({ outcome: "failed", detail: expect.stringContaining("canceled") });
    expect(await paymentOf(recharge.id)).toMatchObject({ status: "FAILED", failureCode: "canceled" });
    // 15.00 left can carry calls: suspended, not locked.
    expect((await db().autoRechargeSettings.findUniqueOrThrow({ where: { customerId: world.customer.id } })).suspendedAt).not.toBeNull();
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).toMatchObject({ status: "ACTIVE", balance: 15_000_000n });
  });

  it("keeps a claim nothing was sent for while it can still be sent, then closes it as not charged", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    // The balance drops without its event, and the run dies between the claim and the charge.
    await db().$transaction((tx) =>
      postLedgerEntryInTransaction(tx, { tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-silent" }),
    );
    const claim = await claimAutoRecharge({ tenantId: world.tenant.id, customerId: world.customer.id });
    if (!claim.claimed) throw new Error(`no claim: ${claim.reason}`);
    await age(claim.paymentId, 60);
    const before = services.stripe.requests.length;

    const waiting = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(waiting, claim.paymentId)).toMatchObject({ outcome: "waiting", detail: expect.stringContaining("may still be sent") });
    expect(await paymentOf(claim.paymentId)).toMatchObject({ status: "PENDING" });

    await age(claim.paymentId, 25 * 60);
    const closed = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(closed, claim.paymentId)).toMatchObject({ outcome: "failed", detail: "No PaymentIntent exists at Stripe for this recharge" });
    expect(await paymentOf(claim.paymentId)).toMatchObject({ status: "FAILED", failureCode: "not_charged", paymentIntentId: null });
    // Never sent, so never declined: auto-recharge is not suspended, and 15.00 carries calls.
    expect((await db().autoRechargeSettings.findUniqueOrThrow({ where: { customerId: world.customer.id } })).suspendedAt).toBeNull();
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).toMatchObject({ status: "ACTIVE", balance: 15_000_000n });
    // Only looked: nothing was created at Stripe by reconciliation.
    expect(services.stripe.requests.slice(before).filter((request) => request.method === "POST")).toEqual([]);
  });
});

describe("tenants whose Stripe cannot be asked", () => {
  async function ownKeys(world: TWorld) {
    const secretKey = `sk_test_${randomUUID().replaceAll("-", "")}`;
    const webhookSecret = `whsec_${randomUUID().replaceAll("-", "")}`;
    await (await as(world.admin.user.id)).updateStripeSettings({ secretKey, publishableKey: "pk_test_own", webhookSecret });
    return secretKey;
  }

  it("reconciles the others, keeps theirs PENDING, and the cron run reports them", async () => {
    const healthy = await createWorld();
    const revoked = await createWorld();
    const down = await createWorld();
    const revokedKey = await ownKeys(revoked);
    const downKey = await ownKeys(down);
    const a = await paidTopUp(healthy, "25.00");
    const b = await paidTopUp(revoked, "30.00");
    const c = await paidTopUp(down, "35.00");
    for (const { payment } of [a, b, c]) await age(payment.id, 20);
    services.stripe.setKeyFailure(revokedKey, "unauthorized");
    services.stripe.setKeyFailure(downKey, "unavailable");
    try {
      // The job as it runs, tenant after tenant.
      const runner = new EmbeddedRunner({ functions: [paymentsReconcile], backoffMs: () => 10 });
      const [runId] = await runner.fireCron("payments-reconcile", new Date("2026-12-03T12:10:00Z"));
      await runner.drain(60_000);
      runner.stop();
      const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId ?? "" } });
      expect(run.status).toBe("FAILED");
      expect(run.error).toContain("NonRetriableError");
      expect(run.error).toContain(`tenant ${revoked.tenant.id} (1 payment(s) not checked): Stripe refused the tenant's secret key`);
      expect(run.error).toContain(`tenant ${down.tenant.id} (1 payment(s) not checked): Stripe could not be asked`);
      expect(run.error).not.toContain(healthy.tenant.id);

      expect(await paymentOf(a.payment.id)).toMatchObject({ status: "SUCCEEDED" });
      expect(await balanceOf(healthy.customer.id)).toBe(25_000_000n);
      for (const { payment } of [b, c]) expect(await paymentOf(payment.id)).toMatchObject({ status: "PENDING" });
      expect(await balanceOf(revoked.customer.id)).toBe(0n);
      expect(await balanceOf(down.customer.id)).toBe(0n);
    } finally {
      services.stripe.setKeyFailure(revokedKey, null);
      services.stripe.setKeyFailure(downKey, null);
    }

    // Stripe answers again: the next run credits them, each with its tenant's own keys.
    for (const world of [revoked, down]) {
      const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
      expect(report).toMatchObject({ error: null, notChecked: 0, payments: [expect.objectContaining({ outcome: "credited" })] });
    }
    expect(await balanceOf(revoked.customer.id)).toBe(30_000_000n);
    expect(await balanceOf(down.customer.id)).toBe(35_000_000n);
  });
});

/** A cron run of the job by itself, at its own tick (a tick runs once). */
async function cronRun(tick: string) {
  const runner = new EmbeddedRunner({ functions: [paymentsReconcile], backoffMs: () => 10 });
  try {
    const [runId] = await runner.fireCron("payments-reconcile", new Date(tick));
    await runner.drain(60_000);
    return await db().jobRun.findUniqueOrThrow({ where: { id: runId ?? "" } });
  } finally {
    runner.stop();
  }
}

/** A top-up whose stored session is not at Stripe: unresolved at every check, for the same reason. */
async function stuckTopUp(world: TWorld, minutes: number) {
  const payment = await startedTopUp(world, "25.00");
  await db().payment.update({ where: { id: payment.id }, data: { checkoutSessionId: `cs_test_missing_${randomUUID()}` } });
  await age(payment.id, minutes);
  return payment;
}

describe("payments that stay PENDING run after run", () => {
  it("go to the back of the queue: a newer payment is reconciled even when stuck ones fill a batch", async () => {
    const world = await createWorld();
    const stuckA = await stuckTopUp(world, 50);
    const stuckB = await stuckTopUp(world, 40);
    const { payment: paid } = await paidTopUp(world, "30.00");
    await age(paid.id, 20);

    const first = await reconcileTenantPayments({ tenantId: world.tenant.id, batchSize: 2 });
    // Never checked before, oldest first.
    expect(first.payments.map((entry) => [entry.paymentId, entry.outcome])).toEqual([
      [stuckA.id, "unresolved"],
      [stuckB.id, "unresolved"],
    ]);
    expect(await paymentOf(stuckA.id)).toMatchObject({ status: "PENDING", reconcileCheckedAt: expect.any(Date), reconcileNote: expect.stringContaining("not found") });
    expect((await paymentOf(paid.id)).reconcileCheckedAt).toBeNull();

    // The next run takes the never-checked payment first, then the least recently checked.
    const second = await reconcileTenantPayments({ tenantId: world.tenant.id, batchSize: 2 });
    expect(second.payments.map((entry) => [entry.paymentId, entry.outcome])).toEqual([
      [paid.id, "credited"],
      [stuckA.id, "unresolved"],
    ]);
    expect(await balanceOf(world.customer.id)).toBe(30_000_000n);
    expect(second.needPerson).toBe(2);
  });

  it("fail the cron run once, when first found; later runs succeed and count them, and a new one fails the run again", async () => {
    const world = await createWorld();
    const stuck = await stuckTopUp(world, 30);

    const first = await cronRun("2026-12-03T13:00:00Z");
    expect(first.status).toBe("FAILED");
    expect(first.error).toContain(`payment ${stuck.id} of tenant ${world.tenant.id}`);

    // Still stuck, nothing new: the run is green and says how many need a person.
    const second = await cronRun("2026-12-03T13:10:00Z");
    expect(second).toMatchObject({ status: "COMPLETED", error: null });
    expect(second.output).toMatchObject({ newlyUnresolved: 0 });
    const output = second.output as { unresolved: number; needPerson: number };
    expect(output.unresolved).toBeGreaterThanOrEqual(1);
    expect(output.needPerson).toBeGreaterThanOrEqual(1);
    expect((await paymentOf(stuck.id)).status).toBe("PENDING");

    // A new problem is reported, and only it.
    const another = await stuckTopUp(world, 30);
    const third = await cronRun("2026-12-03T13:20:00Z");
    expect(third.status).toBe("FAILED");
    expect(third.error).toContain(`payment ${another.id} of tenant ${world.tenant.id}`);
    expect(third.error).not.toContain(stuck.id);
    // Cron runs are the platform's: no tenant sees them in its job list.
    expect(third.tenantId).toBeNull();
  });
});

describe("an object that names another payment", () => {
  it("is not applied to the payment whose stored id points at it, nor to the one it names", async () => {
    const world = await createWorld();
    // A's checkout is paid at Stripe; B's stored session id points at A's session (a bug, a hand edit).
    const { payment: a } = await paidTopUp(world, "40.00");
    const b = await startedTopUp(world, "25.00");
    await db().payment.update({ where: { id: a.id }, data: { checkoutSessionId: null } });
    await db().payment.update({ where: { id: b.id }, data: { checkoutSessionId: a.checkoutSessionId } });
    await age(b.id, 20);

    const report = await reconcileTenantPayments({ tenantId: world.tenant.id });
    expect(outcomeOf(report, b.id)).toMatchObject({ outcome: "unresolved", detail: expect.stringContaining(`made for payment ${a.id}`) });
    // A is its own payment's business (its own reconciliation or webhook), not B's.
    expect(await paymentOf(a.id)).toMatchObject({ status: "PENDING" });
    expect(await paymentOf(b.id)).toMatchObject({ status: "PENDING" });
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await auditOf(b.id)).toHaveLength(0);
  });
});

describe("a change of Stripe account while card payments are in flight", () => {
  const key = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "")}`;

  it("is refused while one is PENDING (to own keys, and back to the platform's), and allowed once it settled", async () => {
    const world = await createWorld();
    const admin = await as(world.admin.user.id);
    const payment = await startedTopUp(world, "25.00");
    const sessionId = payment.checkoutSessionId ?? "";
    // An abandoned checkout lets go after an hour, not Stripe's default 24.
    const session = services.stripe.sessions.get(sessionId);
    expect(Number(session?.expires_at) - Number(session?.created)).toBe(60 * 60);

    const newKey = key("sk_test_");
    services.stripe.setKeyAccount(newKey, `acct_new_${world.tenant.slug}`);
    // The new account cannot see the old account's checkout: after a switch it could never be reconciled.
    const missing = await stripeClient(newKey).checkout.sessions.retrieve(sessionId).catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404 });
    expect((await stripeClient(newKey).checkout.sessions.list({ limit: 100 })).data.map((entry) => entry.id)).not.toContain(sessionId);

    const refused = await admin.updateStripeSettings({ secretKey: newKey, publishableKey: "pk_test_new", webhookSecret: key("whsec_") }).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(String((refused as Error).message)).toMatch(/1 card payment is still in progress.*24 hours/);
    // Nothing changed: the keys, the Stripe customer, the payment.
    expect(await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id } })).toMatchObject({ stripeSecretKeyEnc: null });
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toMatch(/^cus_/);

    // Paid in the old account after all: reconciliation still sees it with the keys it was made with.
    await services.stripe.pay(sessionId);
    await age(payment.id, 20);
    expect(outcomeOf(await reconcileTenantPayments({ tenantId: world.tenant.id }), payment.id)).toMatchObject({ outcome: "credited" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);

    // Nothing in flight: the change goes through.
    const moved = await admin.updateStripeSettings({ secretKey: newKey, publishableKey: "pk_test_new", webhookSecret: key("whsec_") });
    expect(moved.accountChange).toEqual({ stripeCustomersCleared: 1, savedCardsRemoved: 0 });

    // Own keys → the platform's is a change of account too.
    const second = await startedTopUp(world, "30.00");
    const back = await admin.updateStripeSettings({ clearKeys: true }).catch((caught: unknown) => caught);
    expect(back).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id } })).toMatchObject({ stripeSecretKeyEnc: expect.any(String) });
    // A rolled key of the same account is no change of account: allowed with the payment in flight.
    const rolled = key("sk_test_");
    services.stripe.setKeyAccount(rolled, `acct_new_${world.tenant.slug}`);
    expect((await admin.updateStripeSettings({ secretKey: rolled })).accountChange).toBeNull();
    expect(await paymentOf(second.id)).toMatchObject({ status: "PENDING" });
    services.stripe.expireSession(second.checkoutSessionId ?? "");
    await age(second.id, 20);
    expect(outcomeOf(await reconcileTenantPayments({ tenantId: world.tenant.id }), second.id)).toMatchObject({ outcome: "failed" });
  });
});
