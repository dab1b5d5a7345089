import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { getAutoRecharge } from "@/server/payments/auto-recharge";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/[tenant]/route";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { balanceOf, deliverToTenantEndpoint, paymentsAs } from "../support/payments";

const services = withMoneyServices({ smtp: true, stripe: true });
const as = paymentsAs;
const webhook = (slug: string, event: unknown, secret?: string) => deliverToTenantEndpoint(services.stripe, slug, event, secret);



type TWorld = Awaited<ReturnType<typeof createWorld>>;



/** A paid Checkout top-up whose events have not been delivered yet. */
async function paidTopUp(world: TWorld, amount: string, saveCard = false) {
  const portal = await as(world.customerAdmin.user.id);
  const started = await portal.startTopUp({ amount, saveCard });
  const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
  const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
  return { started, payment, paid };
}

/** A top-up delivered through both webhooks, as Stripe would. */
async function toppedUp(world: TWorld, amount: string, saveCard = false) {
  const result = await paidTopUp(world, amount, saveCard);
  expect((await webhook(world.tenant.slug, result.paid.events.completed)).status).toBe(200);
  expect((await webhook(world.tenant.slug, result.paid.events.succeeded)).status).toBe(200);
  return result;
}

describe("card top-ups through Stripe Checkout", () => {
  it("records a PENDING payment, then credits once however often and in whatever order the webhooks arrive", async () => {
    const world = await createWorld();
    const portal = await as(world.customerAdmin.user.id);
    const options = await portal.topUpOptions();
    expect(options).toMatchObject({ minimum: 5_000_000n, maximum: 1_000_000_000n, cardPaymentsAvailable: true, publishableKey: "pk_test_platform_key_123" });

    const { started, payment, paid } = await paidTopUp(world, "25.00", true);
    expect(started.checkoutUrl).toBe(`${services.stripe.url}/pay/${payment.checkoutSessionId}`);
    expect(payment).toMatchObject({ kind: "TOPUP", status: "PENDING", amount: 25_000_000n, saveCard: true, customerId: world.customer.id });
    const sessionRequest = services.stripe.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(sessionRequest?.idempotencyKey).toBe(`topup:${payment.id}`);
    expect(sessionRequest?.body).toMatchObject({ mode: "payment", payment_intent_data: { setup_future_usage: "off_session" } });
    // The Stripe customer is created once, lazily, and remembered.
    const customer = await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } });
    expect(customer.stripeCustomerId).toMatch(/^cus_/);
    expect((await portal.topUpStatus({ paymentId: payment.id })).payment.status).toBe("PENDING");

    // Out of order, and each one twice.
    for (const event of [paid.events.succeeded, paid.events.completed, paid.events.succeeded, paid.events.completed]) {
      expect((await webhook(world.tenant.slug, event)).status).toBe(200);
    }
    // A different event about the same payment (Stripe re-sends with a new id sometimes) credits nothing either.
    expect((await webhook(world.tenant.slug, services.stripe.event("payment_intent.succeeded", paid.intent))).status).toBe(200);

    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    const entries = await db().ledgerEntry.findMany({ where: { customerId: world.customer.id } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "TOPUP", amount: 25_000_000n, idempotencyKey: `stripe:pi:${paid.intent.id}` });
    const status = await portal.topUpStatus({ paymentId: payment.id });
    expect(status.payment.status).toBe("SUCCEEDED");
    expect(status.balance).toBe(25_000_000n);
    expect(await db().stripeEvent.count({ where: { tenantId: world.tenant.id } })).toBe(3);

    // The card was saved (top-up with saveCard) and is the default.
    const cards = await portal.paymentMethods();
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ brand: "visa", last4: "4242", isDefault: true });
    const mine = await portal.myPayments();
    expect(mine[0]).toMatchObject({ id: payment.id, status: "SUCCEEDED" });
  });

  it("refuses amounts outside the tenant's limits or finer than a cent", async () => {
    const world = await createWorld();
    const portal = await as(world.customerAdmin.user.id);
    await expect(portal.startTopUp({ amount: "1.00" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(portal.startTopUp({ amount: "5000.00" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(portal.startTopUp({ amount: "10.001" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(portal.startTopUp({ amount: "ten" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db().payment.count({ where: { customerId: world.customer.id } })).toBe(0);
  });

  it("answers 400 to a bad signature and changes nothing", async () => {
    const world = await createWorld();
    const { paid } = await paidTopUp(world, "25.00");
    const forged = await webhook(world.tenant.slug, paid.events.completed, "whsec_not_the_right_secret");
    expect(forged.status).toBe(400);
    const tampered = services.stripe.sign(paid.events.completed);
    const response = await stripeWebhook(
      new Request("http://localhost/api/webhooks/stripe/x", {
        method: "POST",
        headers: { "stripe-signature": tampered.header },
        body: tampered.payload.replace('"amount_total": 2500', '"amount_total": 250000'),
      }),
      { params: Promise.resolve({ tenant: world.tenant.slug }) },
    );
    expect(response.status).toBe(400);
    const unsigned = await stripeWebhook(new Request("http://localhost/x", { method: "POST", body: tampered.payload }), { params: Promise.resolve({ tenant: world.tenant.slug }) });
    expect(unsigned.status).toBe(400);
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await db().stripeEvent.count({ where: { tenantId: world.tenant.id } })).toBe(0);
    expect((await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id } })).status).toBe("PENDING");
    // The right signature still works afterwards.
    expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
  });
});

describe("auto-recharge", () => {
  async function withAutoRecharge(world: TWorld, settings: { threshold: string; amount: string; topUpTo?: string | null; maxPerDay?: number }) {
    await toppedUp(world, "25.00", true);
    const portal = await as(world.customerAdmin.user.id);
    await portal.saveAutoRecharge({ enabled: true, threshold: settings.threshold, amount: settings.amount, topUpTo: settings.topUpTo ?? null, maxPerDay: settings.maxPerDay ?? 3 });
    await services.runner.drain();
    return portal;
  }

  it("sends exactly one off-session charge when 50 concurrent debits cross the threshold", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "50.00" });
    const before = services.stripe.requestsTo("POST", "/v1/payment_intents").length;

    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -200_000n, kind: "CALL_CHARGES", idempotencyKey: `calls-${index}` }),
      ),
    );
    await services.runner.drain();

    const charges = services.stripe.requestsTo("POST", "/v1/payment_intents").slice(before);
    expect(charges).toHaveLength(1);
    expect(charges[0]?.idempotencyKey).toBe(`auto-recharge:${world.customer.id}:1`);
    expect(charges[0]?.body).toMatchObject({ confirm: "true", off_session: "true", amount: "5000", currency: "usd" });
    const recharges = await db().payment.findMany({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(recharges).toHaveLength(1);
    expect(recharges[0]).toMatchObject({ status: "SUCCEEDED", sequence: 1, amount: 50_000_000n });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n - 10_000_000n + 50_000_000n);

    // Stripe's webhook for the same PaymentIntent credits nothing more.
    const intent = services.stripe.intents.get(recharges[0]?.paymentIntentId ?? "");
    expect((await webhook(world.tenant.slug, services.stripe.event("payment_intent.succeeded", intent))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(65_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toBe(1);
  });

  it("on a decline: FAILED payment, suspension, an email, a lock — and a top-up unlocks", async () => {
    const world = await createWorld();
    const portal = await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    services.stripe.setOffSessionOutcome("decline");

    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -25_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-big" });
    await services.runner.drain();

    const failed = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(failed).toMatchObject({ status: "FAILED", failureCode: "card_declined" });
    expect(failed.failureMessage).toContain("insufficient_funds");
    const settings = await portal.autoRecharge();
    expect(settings.suspendedAt).not.toBeNull();
    // The customer reads the pause by its message; Stripe's codes stay on the failed payment, for staff.
    expect(settings.suspendedReason).toBe("Your card has insufficient funds.");
    const mail = await services.smtp.waitFor((message) => message.to.includes(world.customer.contactEmail) && /Automatic top-up failed/.test(message.subject));
    expect(mail.text).toContain("http://localhost:3000/portal/balance");
    const locked = await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } });
    expect(locked).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: 0n });

    // Suspended: more usage does not retry the declined card.
    const before = services.stripe.requestsTo("POST", "/v1/payment_intents").length;
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-more" });
    await services.runner.drain();
    expect(services.stripe.requestsTo("POST", "/v1/payment_intents").length).toBe(before);

    // A top-up through Checkout brings the balance back and the account unlocks.
    await toppedUp(world, "30.00");
    await services.runner.drain();
    const restored = await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } });
    expect(restored).toMatchObject({ status: "ACTIVE", balance: 29_000_000n });

    // The manual retry lifts the suspension (the balance is above the threshold: nothing to charge).
    services.stripe.setOffSessionOutcome("succeed");
    const retried = await portal.retryAutoRecharge();
    expect(retried.settings.suspendedAt).toBeNull();
    expect(retried.outcome).toMatchObject({ status: "SKIPPED", code: "balance-ok" });
  });

  it("on authentication_required: FAILED with that code, suspended; the retry charges once", async () => {
    const world = await createWorld();
    const portal = await withAutoRecharge(world, { threshold: "20.00", amount: "10.00", topUpTo: "40.00" });
    services.stripe.setOffSessionOutcome("authentication_required");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-1" });
    await services.runner.drain();
    const failed = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(failed).toMatchObject({ status: "FAILED", failureCode: "authentication_required" });
    expect((await portal.autoRecharge()).suspendedAt).not.toBeNull();
    // Not exhausted (15.00 left): no lock.
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).status).toBe("ACTIVE");

    services.stripe.setOffSessionOutcome("succeed");
    const retried = await portal.retryAutoRecharge();
    expect(retried.outcome.status).toBe("SUCCEEDED");
    // "Top up to 40.00" from 15.00 charges 25.00, under the next sequence number.
    expect(services.stripe.requestsTo("POST", "/v1/payment_intents").at(-1)).toMatchObject({ idempotencyKey: `auto-recharge:${world.customer.id}:2`, body: { amount: "2500" } });
    expect(await balanceOf(world.customer.id)).toBe(40_000_000n);
    expect(retried.settings.suspendedAt).toBeNull();
  });

  it("respects the daily cap", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "5.00", maxPerDay: 2 });
    const before = services.stripe.requestsTo("POST", "/v1/payment_intents").length;
    for (let round = 0; round < 4; round++) {
      await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -6_000_000n, kind: "CALL_CHARGES", idempotencyKey: `round-${round}` });
      await services.runner.drain();
    }
    expect(services.stripe.requestsTo("POST", "/v1/payment_intents").length - before).toBe(2);
    expect(await db().payment.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE", status: "SUCCEEDED" } })).toBe(2);
    // What the page counts to know that saving would charge nothing more today.
    expect((await getAutoRecharge({ tenantId: world.tenant.id, customerId: world.customer.id })).rechargesToday).toBe(2);

    // The cap reached, the balance runs out: no recharge can cover it, so the account locks.
    expect(await balanceOf(world.customer.id)).toBe(11_000_000n);
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).status).toBe("ACTIVE");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -12_000_000n, kind: "CALL_CHARGES", idempotencyKey: "round-dry" });
    await services.runner.drain();
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
    expect(services.stripe.requestsTo("POST", "/v1/payment_intents").length - before).toBe(2);
  });

  it("refuses to enable auto-recharge without a saved card", async () => {
    const world = await createWorld();
    const portal = await as(world.customerAdmin.user.id);
    await expect(portal.saveAutoRecharge({ enabled: true, threshold: "10.00", amount: "25.00", topUpTo: null, maxPerDay: 3 })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});

describe("refunds and disputes", () => {
  it("debits an admin's refund once, whether the webhook comes or not, and a dashboard refund by webhook", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    const admin = await as(world.admin.user.id);
    const support = await as(world.support.user.id);
    await expect(support.refund({ paymentId: payment.id, amount: "10.00" })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const refund = await admin.refund({ paymentId: payment.id, amount: "10.00" });
    expect(refund.amount).toBe(10_000_000n);
    expect(services.stripe.requestsTo("POST", "/v1/refunds").at(-1)?.idempotencyKey).toBe(`refund:${payment.id}:1000:0`);
    expect(await balanceOf(world.customer.id)).toBe(15_000_000n);

    // The webhook, twice, with and without the refund list on the charge.
    const withList = services.stripe.chargeRefundedEvent(paid.intent.id);
    expect((await webhook(world.tenant.slug, withList)).status).toBe(200);
    expect((await webhook(world.tenant.slug, withList)).status).toBe(200);
    expect((await webhook(world.tenant.slug, services.stripe.chargeRefundedEvent(paid.intent.id, { withRefunds: false }))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(15_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "PARTIALLY_REFUNDED", refundedAmount: 10_000_000n });

    await expect(admin.refund({ paymentId: payment.id, amount: "20.00" })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // The rest refunded in Stripe's dashboard: only the webhook tells us.
    services.stripe.refundOutside(paid.intent.id);
    expect((await webhook(world.tenant.slug, services.stripe.chargeRefundedEvent(paid.intent.id))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "REFUNDED", refundedAmount: 25_000_000n });
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "REFUND" } })).toBe(2);
  });

  it("flags a disputed payment and debits the chargeback once", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    const dispute = services.stripe.disputeCreatedEvent(paid.intent.id);
    expect((await webhook(world.tenant.slug, dispute)).status).toBe(200);
    expect((await webhook(world.tenant.slug, dispute)).status).toBe(200);
    expect((await webhook(world.tenant.slug, services.stripe.event("charge.dispute.created", dispute.data.object))).status).toBe(200);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "DISPUTED" });
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "CHARGEBACK" } })).toBe(1);
  });
});

describe("saved cards", () => {
  it("lists, sets the default and removes (detaching at Stripe), only for the customer's own cards", async () => {
    const world = await createWorld();
    await toppedUp(world, "25.00", true);
    await toppedUp(world, "25.00", true);
    const portal = await as(world.customerAdmin.user.id);
    const cards = await portal.paymentMethods();
    expect(cards).toHaveLength(2);
    const other = cards.find((card) => !card.isDefault);
    expect(other).toBeDefined();

    const intruder = await as(world.otherCustomerAdmin.user.id);
    await expect(intruder.setDefaultPaymentMethod({ paymentMethodId: other?.id ?? "" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(intruder.removePaymentMethod({ paymentMethodId: other?.id ?? "" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const afterDefault = await portal.setDefaultPaymentMethod({ paymentMethodId: other?.id ?? "" });
    expect(afterDefault.find((card) => card.isDefault)?.id).toBe(other?.id);

    const stored = await db().paymentMethod.findUniqueOrThrow({ where: { id: other?.id ?? "" } });
    const remaining = await portal.removePaymentMethod({ paymentMethodId: other?.id ?? "" });
    expect(remaining).toHaveLength(1);
    expect(remaining[0]?.isDefault).toBe(true);
    expect(services.stripe.requestsTo("POST", `/v1/payment_methods/${stored.stripePaymentMethodId}/detach`)).toHaveLength(1);
  });
});

describe("Stripe settings", () => {
  it("stores the tenant's keys encrypted and never returns a secret", async () => {
    const world = await createWorld();
    const admin = await as(world.admin.user.id);
    const secretKey = `sk_test_${randomUUID().replaceAll("-", "")}`;
    const webhookSecret = `whsec_${randomUUID().replaceAll("-", "")}`;
    const saved = await admin.updateStripeSettings({ secretKey, webhookSecret, publishableKey: "pk_test_tenant_own", topUpPresets: ["10.00", "20.00"] });
    const read = await admin.stripeSettings();
    for (const response of [saved, read]) {
      const text = JSON.stringify(response, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
      expect(text).not.toContain(secretKey);
      expect(text).not.toContain(webhookSecret);
      expect(text).not.toContain(secretKey.slice(8));
      expect(response).toMatchObject({ usingOwnKeys: true, secretKeyConfigured: true, webhookSecretConfigured: true, publishableKey: "pk_test_tenant_own", topUpPresets: [10_000_000n, 20_000_000n] });
    }
    const row = await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id } });
    expect(row.stripeSecretKeyEnc).toMatch(/^v1:/);
    expect(row.stripeSecretKeyEnc).not.toContain(secretKey);
    expect(row.stripeWebhookSecretEnc).not.toContain(webhookSecret);
    // The customer sees the tenant's publishable key, not a secret.
    const options = await (await as(world.customerAdmin.user.id)).topUpOptions();
    expect(JSON.stringify(options, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))).not.toContain(secretKey);
    expect(options.publishableKey).toBe("pk_test_tenant_own");
    // Now only the tenant's own signing secret verifies its webhooks.
    const event = services.stripe.event("payment_intent.succeeded", { id: "pi_unknown", object: "payment_intent", metadata: {} });
    expect((await webhook(world.tenant.slug, event)).status).toBe(400);
    expect((await webhook(world.tenant.slug, event, webhookSecret)).status).toBe(200);

    await expect((await as(world.support.user.id)).stripeSettings()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.updateStripeSettings({ secretKey: "not-a-key" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const cleared = await admin.updateStripeSettings({ clearKeys: true });
    expect(cleared).toMatchObject({ usingOwnKeys: false, secretKeyConfigured: false, webhookSecretConfigured: false, publishableKey: null });
  });
});
