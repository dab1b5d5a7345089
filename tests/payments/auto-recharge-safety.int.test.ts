import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { loadAuthContext } from "@/server/auth/context";
import { chargeAutoRecharge, claimAutoRecharge } from "@/server/payments/auto-recharge";
import { reactToBalanceChange } from "@/server/wallet/account-state";
import { postLedgerEntry, postLedgerEntryInTransaction } from "@/server/wallet/ledger";
import { createCallerFactory, createTRPCRouter } from "@/server/trpc/init";
import { paymentsRouter } from "@/server/trpc/routers/payments";
import { createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { deliverToTenantEndpoint } from "../support/payments";

const services = withMoneyServices({ smtp: true, stripe: true });
const webhook = (slug: string, event: unknown) => deliverToTenantEndpoint(services.stripe, slug, event);


const createCaller = createCallerFactory(createTRPCRouter({ payments: paymentsRouter }));
type TWorld = Awaited<ReturnType<typeof createWorld>>;


async function stateOf(customerId: string) {
  return db().customer.findUniqueOrThrow({ where: { id: customerId }, select: { status: true, lockSource: true, balance: true } });
}

/** A saved card (through a paid Checkout top-up of 25.00) and auto-recharge turned on. */
async function withAutoRecharge(world: TWorld, settings: { threshold: string; amount: string; topUpTo?: string | null; maxPerDay?: number }) {
  const portal = createCaller({ auth: await loadAuthContext(world.customerAdmin.user.id), ip: "127.0.0.1" }).payments;
  const started = await portal.startTopUp({ amount: "25.00", saveCard: true });
  const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
  const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
  expect((await webhook(world.tenant.slug, paid.events.completed)).status).toBe(200);
  await portal.saveAutoRecharge({ enabled: true, threshold: settings.threshold, amount: settings.amount, topUpTo: settings.topUpTo ?? null, maxPerDay: settings.maxPerDay ?? 3 });
  await services.runner.drain();
  return portal;
}

/** An entry committed without its balance-changed event: the test runs the reaction itself. */
async function commitSilently(world: TWorld, amount: bigint, idempotencyKey: string) {
  await db().$transaction((tx) =>
    postLedgerEntryInTransaction(tx, { tenantId: world.tenant.id, customerId: world.customer.id, amount, kind: amount > 0n ? "TOPUP" : "CALL_CHARGES", idempotencyKey }),
  );
}

describe("auto-recharge amounts", () => {
  it("caps a 'top up to' recharge at the largest top-up, however negative the balance", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "10.00", topUpTo: "50.00", maxPerDay: 1 });
    const before = services.stripe.requestsTo("POST", "/v1/payment_intents").length;

    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -2_025_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-huge" });
    await services.runner.drain();

    const charges = services.stripe.requestsTo("POST", "/v1/payment_intents").slice(before);
    expect(charges.map((charge) => charge.body.amount)).toEqual(["100000"]);
    const recharge = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(recharge).toMatchObject({ status: "SUCCEEDED", amount: 1_000_000_000n });
    // Still short and today's one recharge used: the account locks until a payment.
    expect(await stateOf(world.customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: -1_000_000_000n });
  });
});

describe("auto-recharge outcomes", () => {
  it("keeps a charge of unknown outcome pending and resends it under the same key, never a second charge", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "50.00" });
    const before = services.stripe.requestsTo("POST", "/v1/payment_intents").length;
    // Stripe charges the card, but every answer is lost (the SDK's retries included).
    services.stripe.setOffSessionOutcome("unavailable");
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-1" });
    await services.runner.drain();

    const recharge = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(recharge).toMatchObject({ status: "PENDING", failureCode: "outcome_unknown", sequence: 1, paymentIntentId: null });
    const chargedAtStripe = () =>
      [...services.stripe.intents.values()].filter((intent) => {
        const metadata = intent.metadata as Record<string, string>;
        return metadata.kind === "auto_recharge" && metadata.customer_id === world.customer.id;
      });
    expect(chargedAtStripe()).toHaveLength(1);

    // More usage while the outcome is unknown: the recharge in doubt is the one in flight.
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-2" });
    await services.runner.drain();
    expect(await db().payment.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toBe(1);
    expect(chargedAtStripe()).toHaveLength(1);

    // Stripe answers again; once the claim is stale the next balance event resends the same
    // key and Stripe replays the first attempt's result: credited once.
    services.stripe.setOffSessionOutcome("succeed");
    await db().$executeRaw`UPDATE payments SET updated_at = now() - interval '11 minutes' WHERE id = ${recharge.id}::uuid`;
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-3" });
    await services.runner.drain();

    expect(await db().payment.findUniqueOrThrow({ where: { id: recharge.id } })).toMatchObject({ status: "SUCCEEDED", failureCode: null });
    expect(chargedAtStripe()).toHaveLength(1);
    const keys = new Set(services.stripe.requestsTo("POST", "/v1/payment_intents").slice(before).map((request) => request.idempotencyKey));
    expect([...keys]).toEqual([`auto-recharge:${world.customer.id}:1`]);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toBe(1);
    expect((await stateOf(world.customer.id)).balance).toBe(25_000_000n - 12_000_000n + 50_000_000n);
  });

  it("does not credit a second PaymentIntent for a payment already paid by another", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "50.00" });
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -10_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-1" });
    await services.runner.drain();
    const recharge = await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } });
    expect(recharge.status).toBe("SUCCEEDED");
    const first = services.stripe.intents.get(recharge.paymentIntentId ?? "");
    expect(first).toBeDefined();

    // A stale claim resent after Stripe forgot its key made a second PaymentIntent, with the same payment id in its metadata.
    const second = { ...first, id: "pi_second_attempt_for_same_payment" };
    expect((await webhook(world.tenant.slug, services.stripe.event("payment_intent.succeeded", second))).status).toBe(200);
    await services.runner.drain();

    expect((await stateOf(world.customer.id)).balance).toBe(65_000_000n);
    expect(await db().ledgerEntry.count({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toBe(1);
    expect(await db().payment.findUniqueOrThrow({ where: { id: recharge.id } })).toMatchObject({ paymentIntentId: first?.id });
  });
});

describe("a failed recharge's lock", () => {
  it("does not lock an account whose top-up committed while the failure mail was going out", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    services.stripe.setOffSessionOutcome("decline");
    await commitSilently(world, -25_000_000n, "calls-all");
    const claim = await claimAutoRecharge({ tenantId: world.tenant.id, customerId: world.customer.id });
    if (!claim.claimed) throw new Error(`no claim: ${claim.reason}`);

    let toppedUp = false;
    services.smtp.beforeAccept(async (mail) => {
      if (!mail.to.includes(world.customer.contactEmail) || !/Automatic top-up failed/.test(mail.subject) || toppedUp) return;
      toppedUp = true;
      // The customer pays by hand meanwhile; that payment's own reaction runs at once.
      await commitSilently(world, 30_000_000n, "manual-topup");
      await reactToBalanceChange({ tenantId: world.tenant.id, customerId: world.customer.id });
    });
    const outcome = await chargeAutoRecharge({ tenantId: world.tenant.id, paymentId: claim.paymentId });
    services.smtp.beforeAccept(null);

    expect(toppedUp).toBe(true);
    expect(outcome).toMatchObject({ status: "FAILED", code: "card_declined" });
    expect(await stateOf(world.customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null, balance: 30_000_000n });
  });

  it("locks an account that cannot carry calls even when the failure mail cannot be sent", async () => {
    const world = await createWorld();
    await withAutoRecharge(world, { threshold: "20.00", amount: "25.00" });
    services.stripe.setOffSessionOutcome("decline");
    services.smtp.beforeAccept(async (mail) => {
      if (mail.to.includes(world.customer.contactEmail) && /Automatic top-up failed/.test(mail.subject)) throw new Error("mailbox unavailable");
    });

    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.customer.id, amount: -25_000_000n, kind: "CALL_CHARGES", idempotencyKey: "calls-all" });
    await services.runner.drain();

    expect(await db().payment.findFirstOrThrow({ where: { customerId: world.customer.id, kind: "AUTO_RECHARGE" } })).toMatchObject({ status: "FAILED", failureCode: "card_declined" });
    expect(await stateOf(world.customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE", balance: 0n });
  });
});
