import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { postLedgerEntriesOnConnection } from "@/server/wallet/ledger";
import { POST as platformWebhook } from "@/app/api/webhooks/stripe/route";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { deliverToTenantEndpoint, paymentsAs } from "../support/payments";
import { expectStillWaiting } from "../support/waiting";

const services = withMoneyServices({ stripe: true });

/** A tenant's own Stripe keys: a complete set or none, and a change of account forgets its customers. */


const as = paymentsAs;

const key = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "")}`;

type TWorld = Awaited<ReturnType<typeof createWorld>>;

/** A platform top-up that saved the card: the customer now has a Stripe customer id and a card. */
async function withSavedCard(world: TWorld) {
  const portal = await as(world.customerAdmin.user.id);
  const started = await portal.startTopUp({ amount: "25.00", saveCard: true });
  const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
  const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
  for (const event of [paid.events.completed, paid.events.succeeded]) {
    const { payload, header } = services.stripe.sign(event);
    const answer = await platformWebhook(new Request("http://localhost:3000/api/webhooks/stripe", { method: "POST", headers: { "stripe-signature": header }, body: payload }));
    expect(answer.status).toBe(200);
  }
  expect(await portal.paymentMethods()).toHaveLength(1);
}

describe("a tenant's own Stripe keys", () => {
  it("are refused unless secret key, publishable key and webhook secret come as a set", async () => {
    const world = await createWorld();
    const admin = await as(world.admin.user.id);
    const error = await admin.updateStripeSettings({ secretKey: key("sk_test_"), publishableKey: "pk_test_own" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "BAD_REQUEST" });
    expect(JSON.stringify(error)).toContain("webhook signing secret");
    await expect(admin.updateStripeSettings({ secretKey: key("sk_test_") })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.updateStripeSettings({ webhookSecret: key("whsec_") })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id } })).toMatchObject({ stripeSecretKeyEnc: null, stripePublishableKey: null, stripeWebhookSecretEnc: null });

    const saved = await admin.updateStripeSettings({ secretKey: key("sk_test_"), publishableKey: "pk_test_own", webhookSecret: key("whsec_") });
    expect(saved).toMatchObject({ usingOwnKeys: true, cardPaymentsAvailable: true, missingKeys: [], webhookUrl: `http://localhost:3000/api/webhooks/stripe/${world.tenant.slug}` });
    // Replacing one key of a complete set is fine.
    await admin.updateStripeSettings({ publishableKey: "pk_test_own_2" });
  });

  it("an incomplete set stored earlier turns card payments off with a clear reason", async () => {
    const world = await createWorld();
    // What the old settings form let through: a secret key alone.
    const admin = await as(world.admin.user.id);
    await admin.updateStripeSettings({ secretKey: key("sk_test_"), publishableKey: "pk_test_own", webhookSecret: key("whsec_") });
    await db().tenant.update({ where: { id: world.tenant.id }, data: { stripeWebhookSecretEnc: null, stripePublishableKey: null } });

    const settings = await admin.stripeSettings();
    expect(settings).toMatchObject({ usingOwnKeys: true, cardPaymentsAvailable: false, missingKeys: ["publishableKey", "webhookSecret"] });
    const portal = await as(world.customerAdmin.user.id);
    expect(await portal.topUpOptions()).toMatchObject({ cardPaymentsAvailable: false, publishableKey: null });
    const refused = await portal.startTopUp({ amount: "25.00" }).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(String((refused as Error).message)).toContain("webhook signing secret");
    expect(await db().payment.count({ where: { tenantId: world.tenant.id } })).toBe(0);
  });

  it("forgets Stripe customer ids and saved cards when the key moves to another Stripe account", async () => {
    const world = await createWorld();
    await withSavedCard(world);
    const admin = await as(world.admin.user.id);

    // A rolled key of the same account keeps them.
    const sameAccountKey = key("sk_test_");
    const kept = await admin.updateStripeSettings({ secretKey: sameAccountKey, publishableKey: "pk_test_own", webhookSecret: key("whsec_") });
    expect(kept.accountChange).toBeNull();
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toMatch(/^cus_/);
    expect(await db().paymentMethod.count({ where: { tenantId: world.tenant.id } })).toBe(1);

    // Another account's key: the old ids point at nothing there.
    const otherAccountKey = key("sk_test_");
    services.stripe.setKeyAccount(otherAccountKey, "acct_other");
    const moved = await admin.updateStripeSettings({ secretKey: otherAccountKey });
    expect(moved.accountChange).toEqual({ stripeCustomersCleared: 1, savedCardsRemoved: 1 });
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toBeNull();
    expect(await db().paymentMethod.count({ where: { tenantId: world.tenant.id } })).toBe(0);
    const audit = await db().auditEvent.findFirstOrThrow({ where: { tenantId: world.tenant.id, action: "tenant.stripe-settings.updated" }, orderBy: [{ at: "desc" }, { id: "desc" }] });
    expect(audit.after).toMatchObject({ stripeAccountChanged: true, stripeCustomersCleared: 1, savedCardsRemoved: 1 });

    // The next top-up creates the customer afresh in the new account.
    const portal = await as(world.customerAdmin.user.id);
    await portal.startTopUp({ amount: "25.00" });
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toMatch(/^cus_/);
  });

  it("a change of account waits for a charge that holds the customer instead of deadlocking it", async () => {
    const world = await createWorld();
    await withSavedCard(world);
    const admin = await as(world.admin.user.id);
    const otherAccountKey = key("sk_test_");
    services.stripe.setKeyAccount(otherAccountKey, "acct_other");
    // A CDR batch or re-rate: it locks its customers first, then posts (the ledger entry's
    // foreign key takes a KEY SHARE lock on the tenant's row).
    const charge = await pool().connect();
    try {
      await charge.query("BEGIN");
      await charge.query("SELECT id FROM customers WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE", [world.tenant.id, world.customer.id]);
      // The save locks the tenant's row, then waits to clear the customer's Stripe id.
      const saving = admin.updateStripeSettings({ secretKey: otherAccountKey, publishableKey: "pk_test_other", webhookSecret: key("whsec_") });
      await expectStillWaiting(saving, charge);
      // A FOR UPDATE on the tenant would block this insert: each waiting for the other.
      await postLedgerEntriesOnConnection(charge, [
        { tenantId: world.tenant.id, customerId: world.customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: `test:${randomUUID()}`, reference: { type: "cdr_file", id: randomUUID() }, memo: "Calls" },
      ]);
      await charge.query("COMMIT");
      expect((await saving).accountChange).toEqual({ stripeCustomersCleared: 1, savedCardsRemoved: 1 });
    } finally {
      charge.release();
    }
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).balance).toBe(24_000_000n);
  });

  it("going back to the platform's account forgets them too", async () => {
    const world = await createWorld();
    const admin = await as(world.admin.user.id);
    const ownKey = key("sk_test_");
    services.stripe.setKeyAccount(ownKey, `acct_${world.tenant.slug}`);
    const ownWebhookSecret = key("whsec_");
    await admin.updateStripeSettings({ secretKey: ownKey, publishableKey: "pk_test_own", webhookSecret: ownWebhookSecret });
    await withSavedCardOwnEndpoint(world, ownWebhookSecret);
    const cleared = await admin.updateStripeSettings({ clearKeys: true });
    expect(cleared).toMatchObject({ usingOwnKeys: false, webhookUrl: "http://localhost:3000/api/webhooks/stripe", accountChange: { stripeCustomersCleared: 1 } });
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toBeNull();
  });
});

/**
 * The customer gets a Stripe customer id in the tenant's own account (its first top-up), and
 * abandons the checkout: it expires, so no payment is left in flight to hold back a change of account.
 */
async function withSavedCardOwnEndpoint(world: TWorld, webhookSecret: string) {
  const portal = await as(world.customerAdmin.user.id);
  const started = await portal.startTopUp({ amount: "25.00" });
  expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).stripeCustomerId).toMatch(/^cus_/);
  const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
  const expired = services.stripe.expireSession(payment.checkoutSessionId ?? "");
  expect((await deliverToTenantEndpoint(services.stripe, world.tenant.slug, expired, webhookSecret)).status).toBe(200);
  expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "FAILED", failureCode: "expired" });
}
