import { db, type TTransaction } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { notifyBalanceChanged, postLedgerEntryInTransaction, type TPostResult } from "@/server/wallet/ledger";
import { recordRechargeFailure } from "./auto-recharge";
import { creditPaymentInTransaction } from "./crediting";
import { cardDetailsOf, saveCardInTransaction, type TCardDetails } from "./payment-methods";
import { minorToMicros } from "./stripe-amounts";
import { resolveStripeKeys, stripeClient, type Stripe } from "./stripe-client";

/**
 * Stripe webhooks for one tenant. Order of business:
 *  1. verify the signature over the raw body with the tenant's signing secret (else 400,
 *     nothing read, nothing written);
 *  2. fetch from Stripe what the event does not carry (card details, refund list) — before
 *     any transaction, so no row lock waits on the network;
 *  3. in ONE transaction: record the event id (a duplicate delivery stops here), update the
 *     payment, post ledger entries with keys derived from Stripe's ids; commit;
 *  4. emit balance-changed events, then answer 2xx.
 * Every ledger key names the Stripe object it comes from, so even two different events about
 * one payment (checkout.session.completed and payment_intent.succeeded) credit once, in
 * either order.
 */

export type TWebhookResult = { received: true; duplicate: boolean; type: string };

export async function handleStripeWebhook(options: { tenantSlug: string; rawBody: string; signature: string | null }): Promise<TWebhookResult> {
  const tenant = await db().tenant.findUnique({
    where: { slug: options.tenantSlug },
    select: { id: true, currency: true, stripeSecretKeyEnc: true, stripePublishableKey: true, stripeWebhookSecretEnc: true },
  });
  if (!tenant) throw AppError.notFound("Tenant");
  const keys = resolveStripeKeys(tenant);
  if (!keys.webhookSecret || !keys.secretKey) throw new AppError("PRECONDITION_FAILED", "Stripe webhooks are not configured for this tenant");
  if (!options.signature) throw new AppError("INVALID_INPUT", "Missing Stripe-Signature header");
  const stripe = stripeClient(keys.secretKey);
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(options.rawBody, options.signature, keys.webhookSecret);
  } catch {
    throw new AppError("INVALID_INPUT", "Invalid Stripe signature");
  }

  const already = await db().stripeEvent.findUnique({ where: { tenantId_eventId: { tenantId: tenant.id, eventId: event.id } }, select: { processedAt: true } });
  if (already) return { received: true, duplicate: true, type: event.type };

  const plan = await prepare({ tenantId: tenant.id, currency: tenant.currency, stripe, event });
  const outcome = await db().$transaction(async (tx) => {
    // The primary key (tenant, event id) makes a concurrent duplicate wait for this
    // transaction and then insert nothing.
    const inserted = await tx.$executeRaw`
      INSERT INTO stripe_events (tenant_id, event_id, type, received_at, processed_at)
      VALUES (${tenant.id}::uuid, ${event.id}, ${event.type}, now(), now())
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return { duplicate: true, results: [] as TPostResult[] };
    const results = plan ? await plan(tx) : [];
    return { duplicate: false, results };
  });
  await notifyBalanceChanged(outcome.results);
  return { received: true, duplicate: outcome.duplicate, type: event.type };
}

type TPlan = ((tx: TTransaction) => Promise<TPostResult[]>) | null;

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

/** The payment an object is about: our id in its metadata first, then Stripe's ids. */
async function findPayment(tenantId: string, lookup: { metadata?: Stripe.Metadata | null; checkoutSessionId?: string | null; paymentIntentId?: string | null }) {
  const select = { id: true, customerId: true, kind: true, amount: true, status: true, saveCard: true, paymentIntentId: true, refundedAmount: true, currency: true } as const;
  const metadata = lookup.metadata ?? {};
  // Metadata is trusted only for our own tenant: the signature proves it came from this
  // tenant's Stripe account, and the tenant id in it must match as well.
  if (metadata.payment_id && metadata.tenant_id === tenantId && /^[0-9a-f-]{36}$/i.test(metadata.payment_id)) {
    const byId = await db().payment.findFirst({ where: { tenantId, id: metadata.payment_id }, select });
    if (byId) return byId;
  }
  if (lookup.checkoutSessionId) {
    const bySession = await db().payment.findFirst({ where: { tenantId, checkoutSessionId: lookup.checkoutSessionId }, select });
    if (bySession) return bySession;
  }
  if (lookup.paymentIntentId) {
    return db().payment.findFirst({ where: { tenantId, paymentIntentId: lookup.paymentIntentId }, select });
  }
  return null;
}

async function cardFor(stripe: Stripe, paymentMethod: string | Stripe.PaymentMethod | null | undefined): Promise<TCardDetails | null> {
  if (!paymentMethod) return null;
  const method = typeof paymentMethod === "string" ? await stripe.paymentMethods.retrieve(paymentMethod) : paymentMethod;
  return cardDetailsOf(method);
}

async function prepare(options: { tenantId: string; currency: string; stripe: Stripe; event: Stripe.Event }): Promise<TPlan> {
  const { tenantId, stripe, event } = options;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      if (session.mode !== "payment" || session.payment_status !== "paid") return null;
      const paymentIntentId = idOf(session.payment_intent);
      if (!paymentIntentId) return null;
      const payment = await findPayment(tenantId, { metadata: session.metadata, checkoutSessionId: session.id, paymentIntentId });
      if (!payment) return null;
      let card: TCardDetails | null = null;
      if (payment.saveCard) {
        const intent = await stripe.paymentIntents.retrieve(paymentIntentId);
        card = await cardFor(stripe, intent.payment_method);
      }
      return async (tx) => {
        const credited = await creditPaymentInTransaction(tx, { tenantId, paymentId: payment.id, paymentIntentId });
        if (card) await saveCardInTransaction(tx, { tenantId, customerId: payment.customerId, card });
        return credited ? [credited] : [];
      };
    }
    case "checkout.session.expired":
    case "checkout.session.async_payment_failed": {
      const session = event.data.object;
      const payment = await findPayment(tenantId, { metadata: session.metadata, checkoutSessionId: session.id });
      if (!payment) return null;
      return async (tx) => {
        await tx.payment.updateMany({
          where: { id: payment.id, status: "PENDING" },
          data: { status: "FAILED", failureCode: event.type === "checkout.session.expired" ? "expired" : "payment_failed", failureMessage: "The checkout was not completed" },
        });
        return [];
      };
    }
    case "payment_intent.succeeded": {
      const intent = event.data.object;
      const payment = await findPayment(tenantId, { metadata: intent.metadata, paymentIntentId: intent.id });
      if (!payment) return null;
      const card = payment.saveCard && payment.kind === "TOPUP" ? await cardFor(stripe, intent.payment_method) : null;
      return async (tx) => {
        const credited = await creditPaymentInTransaction(tx, { tenantId, paymentId: payment.id, paymentIntentId: intent.id });
        if (card) await saveCardInTransaction(tx, { tenantId, customerId: payment.customerId, card });
        return credited ? [credited] : [];
      };
    }
    case "payment_intent.payment_failed": {
      const intent = event.data.object;
      const payment = await findPayment(tenantId, { metadata: intent.metadata, paymentIntentId: intent.id });
      // A failed attempt inside Checkout is retried there by the customer; only an off-session
      // recharge fails for good.
      if (!payment || payment.kind !== "AUTO_RECHARGE" || payment.status !== "PENDING") return null;
      const error = intent.last_payment_error;
      // Mails and locks must not run inside the event's transaction; the failure record is
      // idempotent (only PENDING → FAILED acts), so doing it first is safe on a redelivery.
      await recordRechargeFailure({
        tenantId,
        paymentId: payment.id,
        code: error?.code ?? "payment_failed",
        message: error?.message ?? "The card could not be charged",
        paymentIntentId: intent.id,
        suspend: true,
      });
      return null;
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const paymentIntentId = idOf(charge.payment_intent);
      const payment = await findPayment(tenantId, { metadata: charge.metadata, paymentIntentId });
      if (!payment) return null;
      // Recent API versions leave `refunds` out of the charge; ask for the list then.
      const refunds = charge.refunds?.data ?? (await stripe.refunds.list({ charge: charge.id, limit: 100 })).data;
      const currency = charge.currency.toUpperCase();
      return async (tx) => {
        const results: TPostResult[] = [];
        for (const refund of refunds) {
          if (refund.status !== "succeeded" && refund.status !== "pending") continue;
          const result = await postRefundInTransaction(tx, { tenantId, paymentId: payment.id, refundId: refund.id, amount: minorToMicros(refund.amount, currency) });
          if (result) results.push(result);
        }
        return results;
      };
    }
    case "charge.dispute.created": {
      const dispute = event.data.object;
      const payment = await findPayment(tenantId, { metadata: dispute.metadata, paymentIntentId: idOf(dispute.payment_intent) });
      if (!payment) return null;
      const amount = minorToMicros(dispute.amount, dispute.currency.toUpperCase());
      return async (tx) => {
        await tx.payment.update({ where: { id: payment.id }, data: { status: "DISPUTED" } });
        // Stripe takes the disputed amount out of the merchant's balance the moment a dispute
        // opens. The prepaid credit this payment bought is no longer backed by money, so it
        // comes off the customer's balance now (keyed by the dispute, so once), rather than
        // letting the customer spend it on calls while the dispute runs for weeks. A won
        // dispute gives it back on charge.dispute.funds_reinstated.
        const result = await postLedgerEntryInTransaction(tx, {
          tenantId,
          customerId: payment.customerId,
          amount: -amount,
          kind: "CHARGEBACK",
          idempotencyKey: `stripe:dispute:${dispute.id}`,
          reference: { type: "payment", id: payment.id },
          memo: `Card payment disputed (${dispute.reason})`,
        });
        return [result];
      };
    }
    case "charge.dispute.funds_reinstated": {
      const dispute = event.data.object;
      const payment = await findPayment(tenantId, { metadata: dispute.metadata, paymentIntentId: idOf(dispute.payment_intent) });
      if (!payment) return null;
      const amount = minorToMicros(dispute.amount, dispute.currency.toUpperCase());
      return async (tx) => {
        const debited = await tx.ledgerEntry.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey: `stripe:dispute:${dispute.id}` } }, select: { id: true } });
        if (!debited) return [];
        await tx.payment.updateMany({ where: { id: payment.id, status: "DISPUTED" }, data: { status: "SUCCEEDED" } });
        const result = await postLedgerEntryInTransaction(tx, {
          tenantId,
          customerId: payment.customerId,
          amount,
          kind: "CHARGEBACK",
          idempotencyKey: `stripe:dispute-reinstated:${dispute.id}`,
          reference: { type: "payment", id: payment.id },
          memo: "Dispute won: funds reinstated",
        });
        return [result];
      };
    }
    default:
      return null;
  }
}

/**
 * One Stripe refund off the balance, keyed by the refund id: the admin's refund action and
 * the charge.refunded webhook post under the same key, so whichever comes first debits and
 * the other finds it done. The payment's refunded total moves only with a new ledger entry.
 */
export async function postRefundInTransaction(
  tx: TTransaction,
  options: { tenantId: string; paymentId: string; refundId: string; amount: bigint },
): Promise<TPostResult | null> {
  const payment = await tx.payment.findFirst({ where: { tenantId: options.tenantId, id: options.paymentId }, select: { id: true, customerId: true, amount: true } });
  if (!payment) return null;
  const result = await postLedgerEntryInTransaction(tx, {
    tenantId: options.tenantId,
    customerId: payment.customerId,
    amount: -options.amount,
    kind: "REFUND",
    idempotencyKey: `stripe:refund:${options.refundId}`,
    reference: { type: "payment", id: payment.id },
    memo: "Card payment refunded",
  });
  if (result.created) {
    const [updated] = await tx.$queryRaw<{ refunded_amount: bigint; amount: bigint }[]>`
      UPDATE payments SET refunded_amount = LEAST(amount, refunded_amount + ${options.amount}), updated_at = now()
      WHERE id = ${payment.id}::uuid RETURNING refunded_amount, amount`;
    if (updated) {
      await tx.payment.updateMany({
        where: { id: payment.id, status: { in: ["SUCCEEDED", "PARTIALLY_REFUNDED"] } },
        data: { status: updated.refunded_amount >= updated.amount ? "REFUNDED" : "PARTIALLY_REFUNDED" },
      });
    }
  }
  return result;
}
