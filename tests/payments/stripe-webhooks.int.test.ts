import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { balanceOf, deliverToPlatformEndpoint, deliverToTenantEndpoint, paymentsAs } from "../support/payments";

const services = withMoneyServices({ stripe: true });
const as = paymentsAs;
const toPlatform = (event: unknown, secret?: string) => deliverToPlatformEndpoint(services.stripe, event, secret);
const toSlug = (slug: string, event: unknown, secret?: string) => deliverToTenantEndpoint(services.stripe, slug, event, secret);

/**
 * Webhook routing (one platform endpoint for every tenant on the platform's keys), refunds
 * that fail after they were accepted, and disputes whose events come in any order.
 */



type TWorld = Awaited<ReturnType<typeof createWorld>>;



async function paidTopUp(world: TWorld, amount: string) {
  const portal = await as(world.customerAdmin.user.id);
  const started = await portal.startTopUp({ amount });
  const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
  const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
  return { payment, paid };
}

/** A top-up through the platform's account, credited through the platform endpoint. */
async function toppedUp(world: TWorld, amount: string) {
  const result = await paidTopUp(world, amount);
  expect((await toPlatform(result.paid.events.completed)).status).toBe(200);
  expect((await toPlatform(result.paid.events.succeeded)).status).toBe(200);
  return result;
}

/** The dispute object a fake event carries. */
function disputeOf(event: { data: { object: unknown } }) {
  return event.data.object as { id: string; status: string } & Record<string, unknown>;
}

async function ownKeys(world: TWorld) {
  const webhookSecret = `whsec_${randomUUID().replaceAll("-", "")}`;
  const admin = await as(world.admin.user.id);
  await admin.updateStripeSettings({ secretKey: `sk_test_${randomUUID().replaceAll("-", "")}`, publishableKey: "pk_test_own", webhookSecret });
  return webhookSecret;
}

describe("one platform endpoint for every tenant on the platform's keys", () => {
  it("credits each tenant's payment from the platform endpoint, and from another tenant's legacy address", async () => {
    const a = await createWorld();
    const b = await createWorld();
    // The settings page tells a platform tenant the platform's address, an own-keys tenant its own.
    const settingsB = await (await as(b.admin.user.id)).stripeSettings();
    expect(settingsB.webhookUrl).toBe("http://localhost:3000/api/webhooks/stripe");
    expect(settingsB.ownWebhookUrl).toBe(`http://localhost:3000/api/webhooks/stripe/${b.tenant.slug}`);

    const first = await paidTopUp(b, "25.00");
    expect((await toPlatform(first.paid.events.completed)).status).toBe(200);
    expect(await balanceOf(b.customer.id)).toBe(25_000_000n);

    // The platform account's one endpoint used to be registered at tenant A's address: B's
    // events arriving there land with B, once, whichever address Stripe used.
    const second = await paidTopUp(b, "30.00");
    expect((await toSlug(a.tenant.slug, second.paid.events.completed)).status).toBe(200);
    expect((await toPlatform(second.paid.events.completed)).status).toBe(200);
    expect((await toSlug(a.tenant.slug, second.paid.events.succeeded)).status).toBe(200);
    expect(await balanceOf(b.customer.id)).toBe(55_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: second.payment.id } })).toMatchObject({ status: "SUCCEEDED" });
    expect(await balanceOf(a.customer.id)).toBe(0n);
    expect(await db().stripeEvent.count({ where: { tenantId: a.tenant.id } })).toBe(0);

    // A dispute carries none of our metadata: the payment it names finds the tenant.
    const dispute = services.stripe.disputeCreatedEvent(first.paid.intent.id);
    expect((await toPlatform(dispute)).status).toBe(200);
    expect(await balanceOf(b.customer.id)).toBe(30_000_000n);

    // A platform signature is still required.
    expect((await toPlatform(second.paid.events.completed, "whsec_wrong")).status).toBe(400);
  });

  it("never records as done an event it could not route; acknowledges what is not ours", async () => {
    const world = await createWorld();
    const { payment, paid } = await paidTopUp(world, "25.00");
    // The tenant switches to its own account before the platform's event arrives: the
    // platform event about it is a routing error, answered so that Stripe retries.
    const secret = await ownKeys(world);
    const refused = await toPlatform(paid.events.completed);
    expect(refused.status).toBe(409);
    expect(await db().stripeEvent.count({ where: { tenantId: world.tenant.id } })).toBe(0);
    expect(await balanceOf(world.customer.id)).toBe(0n);

    // On the tenant's own endpoint, an event naming one of its payments that does not exist
    // is not swallowed either.
    const ghost = services.stripe.event("payment_intent.succeeded", { ...paid.intent, metadata: { ...paid.intent.metadata, payment_id: randomUUID() } });
    expect((await toSlug(world.tenant.slug, ghost, secret)).status).toBe(409);
    expect(await db().stripeEvent.count({ where: { tenantId: world.tenant.id } })).toBe(0);
    // The real one is applied there.
    expect((await toSlug(world.tenant.slug, paid.events.succeeded, secret)).status).toBe(200);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED" });

    // Not ours at all: a tenant id we never issued, or no metadata and an unknown intent.
    const foreign = services.stripe.event("payment_intent.succeeded", { id: "pi_foreign", object: "payment_intent", metadata: { tenant_id: randomUUID(), payment_id: randomUUID() } });
    expect(await (await toPlatform(foreign)).json()).toMatchObject({ received: true, ignored: true });
    const bare = services.stripe.event("payment_intent.succeeded", { id: "pi_bare", object: "payment_intent", metadata: {} });
    expect((await toPlatform(bare)).status).toBe(200);
  });
});

describe("refunds that fail after Stripe accepted them", () => {
  it("reverses a pending refund that fails, once, whatever order and duplicates follow", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    services.stripe.setRefundStatus("pending");
    const admin = await as(world.admin.user.id);
    const refund = await admin.refund({ paymentId: payment.id, amount: "10.00" });
    expect(refund).toMatchObject({ status: "pending", debited: true });
    expect(await balanceOf(world.customer.id)).toBe(15_000_000n);

    const stored = services.stripe.refunds.get(refund.refundId);
    const failed = { ...stored, status: "failed", failure_reason: "expired_or_canceled_card" };
    const stalePending = services.stripe.chargeRefundedEvent(paid.intent.id);
    for (const event of [
      services.stripe.event("refund.failed", failed),
      services.stripe.event("charge.refund.updated", failed),
      services.stripe.event("refund.failed", failed),
      // A charge.refunded sent before the failure, delivered after it, still says pending.
      stalePending,
    ]) {
      expect((await toPlatform(event)).status).toBe(200);
    }
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED", refundedAmount: 0n });
    const entries = await db().ledgerEntry.findMany({ where: { customerId: world.customer.id, kind: "REFUND" }, orderBy: { id: "asc" } });
    expect(entries.map((entry) => [entry.idempotencyKey, entry.amount])).toEqual([
      [`stripe:refund:${refund.refundId}`, -10_000_000n],
      [`stripe:refund-failed:${refund.refundId}`, 10_000_000n],
    ]);

    // The amount can be refunded again, as a new refund at Stripe (not a replay of the failed one).
    services.stripe.setRefundStatus("succeeded");
    const again = await admin.refund({ paymentId: payment.id, amount: "10.00" });
    expect(again.refundId).not.toBe(refund.refundId);
    expect(await balanceOf(world.customer.id)).toBe(15_000_000n);
  });

  it("nets a failed dashboard refund to zero when the failure arrives before the refund", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    services.stripe.setRefundStatus("pending");
    const outside = services.stripe.refundOutside(paid.intent.id, 500);
    const pending = services.stripe.event("charge.refund.updated", outside);
    const failed = services.stripe.event("refund.failed", { ...outside, status: "failed" });
    expect((await toPlatform(failed)).status).toBe(200);
    expect((await toPlatform(pending)).status).toBe(200);
    expect((await toPlatform(services.stripe.chargeRefundedEvent(paid.intent.id))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED", refundedAmount: 0n });
  });

  it("does not debit a refund that needs action until Stripe says it went through", async () => {
    const world = await createWorld();
    const { payment } = await toppedUp(world, "25.00");
    services.stripe.setRefundStatus("requires_action");
    const admin = await as(world.admin.user.id);
    const refund = await admin.refund({ paymentId: payment.id, amount: "5.00" });
    expect(refund).toMatchObject({ status: "requires_action", debited: false });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);

    const succeeded = { ...services.stripe.refunds.get(refund.refundId), status: "succeeded" };
    expect((await toPlatform(services.stripe.event("charge.refund.updated", succeeded))).status).toBe(200);
    expect((await toPlatform(services.stripe.event("refund.updated", succeeded))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(20_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "PARTIALLY_REFUNDED", refundedAmount: 5_000_000n });
  });

  it("tells the admin when Stripe fails the refund at once, and leaves the balance alone", async () => {
    const world = await createWorld();
    const { payment } = await toppedUp(world, "25.00");
    services.stripe.setRefundStatus("failed");
    const admin = await as(world.admin.user.id);
    await expect(admin.refund({ paymentId: payment.id, amount: "5.00" })).rejects.toMatchObject({ code: "BAD_GATEWAY" });
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED", refundedAmount: 0n });
  });
});

describe("disputes", () => {
  it("does not debit an inquiry; debits when the funds are withdrawn", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    const created = services.stripe.disputeCreatedEvent(paid.intent.id);
    const inquiry = { ...disputeOf(created), status: "warning_needs_response" };
    expect((await toPlatform(services.stripe.event("charge.dispute.created", inquiry))).status).toBe(200);
    expect((await toPlatform(services.stripe.event("charge.dispute.created", { ...inquiry, status: "warning_closed", balance_transactions: [] }))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(25_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "SUCCEEDED" });

    // The inquiry escalates: Stripe takes the money and says so.
    const withdrawn = services.stripe.event("charge.dispute.funds_withdrawn", { ...inquiry, status: "needs_response" });
    expect((await toPlatform(withdrawn)).status).toBe(200);
    expect((await toPlatform(services.stripe.event("charge.dispute.created", { ...inquiry, status: "needs_response" }))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(0n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "DISPUTED" });
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "CHARGEBACK" } })).toBe(1);
  });

  it("a won dispute nets to zero in either order, and gives back the payment's refund status", async () => {
    const world = await createWorld();
    const { payment, paid } = await toppedUp(world, "25.00");
    const admin = await as(world.admin.user.id);
    await admin.refund({ paymentId: payment.id, amount: "5.00" });
    const created = services.stripe.disputeCreatedEvent(paid.intent.id, 2000);
    const dispute = disputeOf(created);
    const reinstated = services.stripe.event("charge.dispute.funds_reinstated", { ...dispute, status: "won" });

    // Reinstated first, then the withdrawal and the opening, each twice.
    for (const event of [reinstated, reinstated, services.stripe.event("charge.dispute.funds_withdrawn", dispute), created, created]) {
      expect((await toPlatform(event)).status).toBe(200);
    }
    expect(await balanceOf(world.customer.id)).toBe(20_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "PARTIALLY_REFUNDED", refundedAmount: 5_000_000n });
    const entries = await db().ledgerEntry.findMany({ where: { customerId: world.customer.id, kind: "CHARGEBACK" }, orderBy: { id: "asc" } });
    expect(entries.map((entry) => [entry.idempotencyKey, entry.amount])).toEqual([
      [`stripe:dispute:${dispute.id}`, -20_000_000n],
      [`stripe:dispute-reinstated:${dispute.id}`, 20_000_000n],
    ]);

    // The usual order on another payment: disputed, then won.
    const second = await toppedUp(world, "10.00");
    const other = services.stripe.disputeCreatedEvent(second.paid.intent.id);
    expect((await toPlatform(other)).status).toBe(200);
    expect(await db().payment.findUniqueOrThrow({ where: { id: second.payment.id } })).toMatchObject({ status: "DISPUTED" });
    expect(await balanceOf(world.customer.id)).toBe(20_000_000n);
    expect((await toPlatform(services.stripe.event("charge.dispute.funds_reinstated", { ...disputeOf(other), status: "won" }))).status).toBe(200);
    expect(await balanceOf(world.customer.id)).toBe(30_000_000n);
    expect(await db().payment.findUniqueOrThrow({ where: { id: second.payment.id } })).toMatchObject({ status: "SUCCEEDED" });
  });
});
