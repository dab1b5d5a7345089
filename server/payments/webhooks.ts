import { z } from "zod";
import { db, type TTransaction } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { notifyBalanceChanged, postLedgerEntryInTransaction, type TPostResult } from "@/server/wallet/ledger";
import { recordRechargeFailure } from "./auto-recharge";
import { creditPaymentInTransaction } from "./crediting";
import { cardDetailsOf, saveCardInTransaction, type TCardDetails } from "./payment-methods";
import { minorToMicros } from "./stripe-amounts";
import { platformStripeKeys, rawStripeKeys, stripeClient, usesOwnStripeKeys, type Stripe } from "./stripe-client";

/**
 * Stripe webhooks. Two kinds of endpoint, because Stripe signs per endpoint and sends every
 * event of an account to every endpoint of that account:
 *  - /api/webhooks/stripe — the platform account's one endpoint, for all tenants without keys
 *    of their own. The signature (platform secret) proves the event is the platform's; the
 *    tenant comes from what we put in the object's metadata (tenant_id, payment_id), or, for
 *    objects Stripe makes itself (disputes, dashboard refunds), from the payment it names.
 *  - /api/webhooks/stripe/<slug> — a tenant with its own Stripe account, verified with that
 *    tenant's signing secret. For a tenant on the platform's keys this address behaves as
 *    the platform endpoint: before the platform route existed, that is where it was registered.
 * Order of business:
 *  1. verify the signature over the raw body (else 400, nothing read, nothing written);
 *  2. find the tenant and the payment; an event that names one of our tenants or payments
 *     but cannot be matched is answered with an error and NOT recorded, so Stripe retries it
 *     (for up to three days) while someone looks at the log; only what is truly not ours
 *     (another system on the same account) is acknowledged without effect;
 *  3. fetch from Stripe what the event does not carry (card details, refund list) — before
 *     any transaction, so no row lock waits on the network;
 *  4. in ONE transaction: record the event id (a duplicate delivery stops here), update the
 *     payment, post ledger entries with keys derived from Stripe's ids; commit;
 *  5. emit balance-changed events, then answer 2xx.
 * Every ledger key names the Stripe object it comes from, so even two different events about
 * one payment (checkout.session.completed and payment_intent.succeeded) credit once, in
 * either order.
 */

export type TWebhookResult = { received: true; duplicate: boolean; type: string; ignored?: boolean };

const tenantKeySelect = { id: true, currency: true, stripeSecretKeyEnc: true, stripePublishableKey: true, stripeWebhookSecretEnc: true } as const;

/** The slug route: the tenant's own Stripe account, or the platform's for a tenant without one. */
export async function handleStripeWebhook(options: { tenantSlug: string; rawBody: string; signature: string | null }): Promise<TWebhookResult> {
  const tenant = await db().tenant.findUnique({ where: { slug: options.tenantSlug }, select: tenantKeySelect });
  if (!tenant) throw AppError.notFound("Tenant");
  if (!usesOwnStripeKeys(tenant)) return handlePlatformStripeWebhook(options);
  const keys = rawStripeKeys(tenant);
  if (!keys.webhookSecret || !keys.secretKey) {
    console.error(`[payments] Stripe webhook for tenant ${tenant.id} refused: its Stripe settings lack the ${!keys.secretKey ? "secret key" : "webhook signing secret"}`);
    throw new AppError("PRECONDITION_FAILED", "Stripe webhooks are not configured for this tenant");
  }
  const stripe = stripeClient(keys.secretKey);
  const event = verify(stripe, options, keys.webhookSecret);
  return processEvent({ tenantId: tenant.id, stripe, event });
}

/** The platform route: one endpoint for every tenant that uses the platform's Stripe account. */
export async function handlePlatformStripeWebhook(options: { rawBody: string; signature: string | null }): Promise<TWebhookResult> {
  const keys = platformStripeKeys();
  if (!keys.webhookSecret || !keys.secretKey) throw new AppError("PRECONDITION_FAILED", "Stripe webhooks are not configured for the platform");
  const stripe = stripeClient(keys.secretKey);
  const event = verify(stripe, options, keys.webhookSecret);
  const routing = routingOf(event);
  // Events we act on nothing for (customer.created, …) need no tenant.
  if (!routing) return { received: true, duplicate: false, type: event.type, ignored: true };
  const tenantId = await platformTenantOf(event, routing);
  if (!tenantId) {
    console.warn(`[payments] Stripe event ${event.id} (${event.type}) names no tenant or payment of ours; acknowledged without effect`);
    return { received: true, duplicate: false, type: event.type, ignored: true };
  }
  return processEvent({ tenantId, stripe, event });
}

function verify(stripe: Stripe, options: { rawBody: string; signature: string | null }, secret: string): Stripe.Event {
  if (!options.signature) throw new AppError("INVALID_INPUT", "Missing Stripe-Signature header");
  try {
    return stripe.webhooks.constructEvent(options.rawBody, options.signature, secret);
  } catch {
    throw new AppError("INVALID_INPUT", "Invalid Stripe signature");
  }
}

/**
 * An event that is ours but cannot be applied where it arrived. Answering non-2xx and not
 * recording it keeps it in Stripe's retries (and its dashboard) instead of silently
 * dropping a customer's money.
 */
function unroutable(event: TEventOf<Stripe.Event>, why: string): AppError {
  console.error(`[payments] Stripe event ${event.id} (${event.type}) not applied: ${why}`);
  return new AppError("CONFLICT", `Stripe event ${event.id} could not be matched: ${why}`);
}

type TRouting = { metadata: Stripe.Metadata; checkoutSessionId: string | null; paymentIntentId: string | null };

/** What an event we handle says about its payment; null for events we do not act on. */
function routingOf(event: Stripe.Event): TRouting | null {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.expired":
    case "checkout.session.async_payment_failed": {
      const session = event.data.object;
      return { metadata: session.metadata ?? {}, checkoutSessionId: session.id, paymentIntentId: idOf(session.payment_intent) };
    }
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
      return { metadata: event.data.object.metadata ?? {}, checkoutSessionId: null, paymentIntentId: event.data.object.id };
    case "charge.refunded":
    case "charge.refund.updated":
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
    case "charge.dispute.created":
    case "charge.dispute.funds_withdrawn":
    case "charge.dispute.funds_reinstated":
      return { metadata: event.data.object.metadata ?? {}, checkoutSessionId: null, paymentIntentId: idOf(event.data.object.payment_intent) };
    default:
      return null;
  }
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;

/**
 * The tenant of a platform-signed event. Only tenants that really use the platform's keys
 * are accepted: a tenant with keys of its own takes money through its own account, so a
 * platform event about it is a routing error (e.g. a payment from before it switched).
 */
async function platformTenantOf(event: Stripe.Event, routing: TRouting): Promise<string | null> {
  const named = routing.metadata.tenant_id;
  if (named) {
    // Another deployment sharing the Stripe account (staging on a test account) has tenant
    // ids we never issued: not ours. One we know is ours and must land.
    const tenant = isUuid(named) ? await db().tenant.findUnique({ where: { id: named }, select: tenantKeySelect }) : null;
    if (!tenant) return null;
    if (usesOwnStripeKeys(tenant)) throw unroutable(event, `tenant ${tenant.id} uses its own Stripe keys, but the event came from the platform's account`);
    return tenant.id;
  }
  // Objects Stripe creates itself (disputes, refunds made in its dashboard) carry no metadata
  // of ours; the payment they name tells the tenant. Stripe ids are unique across accounts,
  // so this lookup across tenants cannot pick the wrong one; everything after it is filtered
  // by the tenant found here.
  const ids = [
    ...(routing.paymentIntentId ? [{ paymentIntentId: routing.paymentIntentId }] : []),
    ...(routing.checkoutSessionId ? [{ checkoutSessionId: routing.checkoutSessionId }] : []),
  ];
  if (ids.length === 0) return null;
  const payment = await db().payment.findFirst({ where: { OR: ids }, select: { tenantId: true, tenant: { select: tenantKeySelect } } });
  if (!payment) return null;
  if (usesOwnStripeKeys(payment.tenant)) throw unroutable(event, `its payment belongs to tenant ${payment.tenantId}, which uses its own Stripe keys`);
  return payment.tenantId;
}

async function processEvent(options: { tenantId: string; stripe: Stripe; event: Stripe.Event }): Promise<TWebhookResult> {
  const { tenantId, stripe, event } = options;
  const already = await db().stripeEvent.findUnique({ where: { tenantId_eventId: { tenantId, eventId: event.id } }, select: { processedAt: true } });
  if (already) return { received: true, duplicate: true, type: event.type };

  const plan = await prepare({ tenantId, stripe, event });
  const outcome = await db().$transaction(async (tx) => {
    // The primary key (tenant, event id) makes a concurrent duplicate wait for this
    // transaction and then insert nothing.
    const inserted = await tx.$executeRaw`
      INSERT INTO stripe_events (tenant_id, event_id, type, received_at, processed_at)
      VALUES (${tenantId}::uuid, ${event.id}, ${event.type}, now(), now())
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return { duplicate: true, results: [] as TPostResult[] };
    const results = plan ? await plan(tx) : [];
    return { duplicate: false, results };
  });
  await notifyBalanceChanged(outcome.results);
  return { received: true, duplicate: outcome.duplicate, type: event.type };
}

/** What applying an event does inside its transaction; null when there is nothing to write. */
export type TPlan = ((tx: TTransaction) => Promise<TPostResult[]>) | null;

/**
 * What handling an event reads of it: its id (for the log), its type and its object. An
 * event Stripe delivered is one; reconciliation builds one from an object it fetched.
 */
type TEventOf<E> = E extends Stripe.Event ? Pick<E, "id" | "type" | "data"> : never;

/** The events reconciliation settles a payment with when Stripe's own never came. */
export type TSettlingEvent = TEventOf<
  Stripe.CheckoutSessionCompletedEvent | Stripe.CheckoutSessionExpiredEvent | Stripe.CheckoutSessionAsyncPaymentFailedEvent | Stripe.PaymentIntentSucceededEvent
>;

/**
 * The webhook's own handling of a payment's Stripe object, for reconciliation
 * (server/payments/reconcile.ts), which asked Stripe for the object because its event never
 * came. What must be fetched is fetched now, outside any transaction; the plan then writes
 * inside the caller's transaction exactly what the event would have (the credit under the
 * PaymentIntent's ledger key, the saved card, the failed checkout), so the real event
 * arriving before, after or at the same moment moves no money a second time.
 */
export async function planSettlement(options: { tenantId: string; stripe: Stripe; event: TSettlingEvent }): Promise<TPlan> {
  return prepare(options);
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

/**
 * The payment an object is about: our id in its metadata first, then Stripe's ids. An object
 * whose metadata names this tenant's payment must find it; one that names another tenant is
 * that tenant's business (two tenants may share one Stripe account, each with its endpoint).
 */
async function findPayment(event: TEventOf<Stripe.Event>, tenantId: string, lookup: { metadata?: Stripe.Metadata | null; checkoutSessionId?: string | null; paymentIntentId?: string | null }) {
  const select = { id: true, customerId: true, kind: true, amount: true, status: true, saveCard: true, paymentIntentId: true, refundedAmount: true, currency: true } as const;
  const metadata = lookup.metadata ?? {};
  if (metadata.tenant_id && metadata.tenant_id !== tenantId) return null;
  // Metadata is trusted only for our own tenant: the signature proves it came from the
  // account this tenant uses, and the tenant id in it must match as well.
  if (metadata.payment_id && metadata.tenant_id === tenantId) {
    const byId = isUuid(metadata.payment_id) ? await db().payment.findFirst({ where: { tenantId, id: metadata.payment_id }, select }) : null;
    if (byId) return byId;
    throw unroutable(event, `payment ${metadata.payment_id} of tenant ${tenantId} does not exist`);
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

async function prepare(options: { tenantId: string; stripe: Stripe; event: TEventOf<Stripe.Event> }): Promise<TPlan> {
  const { tenantId, stripe, event } = options;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      if (session.mode !== "payment" || session.payment_status !== "paid") return null;
      const paymentIntentId = idOf(session.payment_intent);
      if (!paymentIntentId) return null;
      const payment = await findPayment(event, tenantId, { metadata: session.metadata, checkoutSessionId: session.id, paymentIntentId });
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
      const payment = await findPayment(event, tenantId, { metadata: session.metadata, checkoutSessionId: session.id });
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
      const payment = await findPayment(event, tenantId, { metadata: intent.metadata, paymentIntentId: intent.id });
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
      const payment = await findPayment(event, tenantId, { metadata: intent.metadata, paymentIntentId: intent.id });
      // A failed attempt inside Checkout is retried there by the customer; only an off-session
      // recharge fails for good.
      if (!payment || payment.kind !== "AUTO_RECHARGE" || payment.status !== "PENDING") return null;
      // Mails and locks must not run inside the event's transaction; the failure record is
      // idempotent (only PENDING → FAILED acts), so doing it first is safe on a redelivery.
      await failRechargeOnIntent({ tenantId, paymentId: payment.id, intent });
      return null;
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const paymentIntentId = idOf(charge.payment_intent);
      const payment = await findPayment(event, tenantId, { metadata: charge.metadata, paymentIntentId });
      if (!payment) return null;
      // Recent API versions leave `refunds` out of the charge; ask for the list then.
      const refunds = charge.refunds?.data ?? (await stripe.refunds.list({ charge: charge.id, limit: 100 })).data;
      return async (tx) => {
        const results: TPostResult[] = [];
        for (const refund of refunds) results.push(...(await applyRefundInTransaction(tx, { tenantId, paymentId: payment.id, refund })));
        return results;
      };
    }
    case "charge.refund.updated":
    case "refund.created":
    case "refund.updated":
    case "refund.failed": {
      const refund = event.data.object;
      // Our own refunds carry the payment's metadata; dashboard refunds only the intent.
      const payment = await findPayment(event, tenantId, { metadata: refund.metadata, paymentIntentId: idOf(refund.payment_intent) });
      if (!payment) return null;
      return (tx) => applyRefundInTransaction(tx, { tenantId, paymentId: payment.id, refund });
    }
    case "charge.dispute.created":
    case "charge.dispute.funds_withdrawn": {
      const dispute = event.data.object;
      // An inquiry (warning_*) or a prevented dispute takes no money from the account, and no
      // funds_reinstated follows it; debiting then would take the credit for good. If an
      // inquiry escalates, Stripe withdraws the funds and says so with funds_withdrawn.
      if (event.type === "charge.dispute.created" && !fundsWithdrawn(dispute)) return null;
      const payment = await findPayment(event, tenantId, { metadata: dispute.metadata, paymentIntentId: idOf(dispute.payment_intent) });
      if (!payment) return null;
      const amount = minorToMicros(dispute.amount, dispute.currency.toUpperCase());
      return async (tx) => {
        const debit = await debitDisputeInTransaction(tx, { tenantId, paymentId: payment.id, customerId: payment.customerId, disputeId: dispute.id, amount, reason: dispute.reason });
        // Already won (the reinstatement came first): the payment is not disputed any more.
        const reinstated = await ledgerEntryOf(tx, tenantId, `stripe:dispute-reinstated:${dispute.id}`);
        if (!reinstated) {
          await tx.payment.updateMany({ where: { tenantId, id: payment.id, status: { in: ["SUCCEEDED", "PARTIALLY_REFUNDED", "REFUNDED"] } }, data: { status: "DISPUTED" } });
        }
        return [debit];
      };
    }
    case "charge.dispute.funds_reinstated": {
      const dispute = event.data.object;
      const payment = await findPayment(event, tenantId, { metadata: dispute.metadata, paymentIntentId: idOf(dispute.payment_intent) });
      if (!payment) return null;
      const amount = minorToMicros(dispute.amount, dispute.currency.toUpperCase());
      return async (tx) => {
        // Reinstated funds were withdrawn first, whether or not that event has come yet: both
        // entries are posted here, each under its own key, so the pair nets to zero in any
        // order and the withdrawal arriving later finds its debit done.
        const debit = await debitDisputeInTransaction(tx, { tenantId, paymentId: payment.id, customerId: payment.customerId, disputeId: dispute.id, amount, reason: dispute.reason });
        const credit = await postLedgerEntryInTransaction(tx, {
          tenantId,
          customerId: payment.customerId,
          amount: -debit.entry.amount,
          kind: "CHARGEBACK",
          idempotencyKey: `stripe:dispute-reinstated:${dispute.id}`,
          reference: { type: "payment", id: payment.id },
          memo: "Dispute won: funds reinstated",
        });
        await restorePaymentStatus(tx, tenantId, payment.id, ["DISPUTED"]);
        return [debit, credit];
      };
    }
    default:
      return null;
  }
}

/**
 * An off-session recharge whose PaymentIntent failed, as `payment_intent.payment_failed`
 * records it (reconciliation too, when that event was lost): FAILED with the card's error,
 * auto-recharge suspended, the customer told, the account locked if it cannot carry calls.
 * Returns whether this call was the one that failed the payment.
 */
export async function failRechargeOnIntent(options: { tenantId: string; paymentId: string; intent: Stripe.PaymentIntent }): Promise<boolean> {
  const error = options.intent.last_payment_error;
  return recordRechargeFailure({
    tenantId: options.tenantId,
    paymentId: options.paymentId,
    code: error?.code ?? "payment_failed",
    message: error?.message ?? "The card could not be charged",
    paymentIntentId: options.intent.id,
    suspend: true,
  });
}

/**
 * Whether a just-opened dispute took money from the account. The balance transactions say so
 * when the event carries them; otherwise the status does: inquiries (warning_*) and prevented
 * disputes withdraw nothing.
 */
function fundsWithdrawn(dispute: Stripe.Dispute): boolean {
  if (Array.isArray(dispute.balance_transactions)) return dispute.balance_transactions.some((transaction) => transaction.amount < 0);
  return !dispute.status.startsWith("warning_") && dispute.status !== "prevented";
}

async function ledgerEntryOf(tx: TTransaction, tenantId: string, idempotencyKey: string) {
  return tx.ledgerEntry.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } }, select: { id: true, amount: true } });
}

/**
 * The disputed amount comes off the customer's balance once the money has left the account
 * (keyed by the dispute, so once): the prepaid credit it bought is no longer backed, and the
 * customer should not spend it on calls while the dispute runs for weeks.
 */
async function debitDisputeInTransaction(
  tx: TTransaction,
  options: { tenantId: string; paymentId: string; customerId: string; disputeId: string; amount: bigint; reason: string },
): Promise<TPostResult> {
  const key = `stripe:dispute:${options.disputeId}`;
  const existing = await ledgerEntryOf(tx, options.tenantId, key);
  return postLedgerEntryInTransaction(tx, {
    tenantId: options.tenantId,
    customerId: options.customerId,
    // Whatever was debited first is what the pair must net against.
    amount: existing ? existing.amount : -options.amount,
    kind: "CHARGEBACK",
    idempotencyKey: key,
    reference: { type: "payment", id: options.paymentId },
    memo: `Card payment disputed (${options.reason})`,
  });
}

/** A payment's status after a dispute or a refund went away: what its refunds say it is. */
async function restorePaymentStatus(tx: TTransaction, tenantId: string, paymentId: string, from: ("DISPUTED" | "REFUNDED" | "PARTIALLY_REFUNDED")[]) {
  await tx.$executeRaw`
    UPDATE payments SET status = (CASE WHEN refunded_amount <= 0 THEN 'SUCCEEDED'
                                       WHEN refunded_amount >= amount THEN 'REFUNDED'
                                       ELSE 'PARTIALLY_REFUNDED' END)::"PaymentStatus",
                        updated_at = now()
    WHERE tenant_id = ${tenantId}::uuid AND id = ${paymentId}::uuid AND status::text = ANY(${from}::text[])`;
}

/**
 * One refund as Stripe reports it now. Succeeded and pending refunds are debited (pending ones
 * nearly always succeed, and the money must not be spent meanwhile); failed and canceled ones
 * are reversed; requires_action waits for the next update.
 */
export async function applyRefundInTransaction(tx: TTransaction, options: { tenantId: string; paymentId: string; refund: Stripe.Refund }): Promise<TPostResult[]> {
  const { refund } = options;
  const amount = minorToMicros(refund.amount, refund.currency.toUpperCase());
  if (refund.status === "succeeded" || refund.status === "pending") {
    const posted = await postRefundInTransaction(tx, { tenantId: options.tenantId, paymentId: options.paymentId, refundId: refund.id, amount });
    return posted ? [posted] : [];
  }
  if (refund.status === "failed" || refund.status === "canceled") {
    return reverseFailedRefundInTransaction(tx, { tenantId: options.tenantId, paymentId: options.paymentId, refundId: refund.id, amount });
  }
  return [];
}

/**
 * One Stripe refund off the balance, keyed by the refund id: the admin's refund action and
 * the refund webhooks post under the same key, so whichever comes first debits and the
 * others find it done. The payment's refunded total moves only with a new ledger entry.
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
      WHERE tenant_id = ${options.tenantId}::uuid AND id = ${payment.id}::uuid RETURNING refunded_amount, amount`;
    if (updated) {
      await tx.payment.updateMany({
        where: { tenantId: options.tenantId, id: payment.id, status: { in: ["SUCCEEDED", "PARTIALLY_REFUNDED"] } },
        data: { status: updated.refunded_amount >= updated.amount ? "REFUNDED" : "PARTIALLY_REFUNDED" },
      });
    }
  }
  return result;
}

/**
 * A refund that failed or was canceled gives the money back to the customer's balance under
 * `stripe:refund-failed:<refund id>`. If its debit has not been posted yet (the failure came
 * first), the debit is posted here too, so a late "pending" report about the same refund
 * finds it done: the pair nets to zero exactly once, in any order, however often.
 */
async function reverseFailedRefundInTransaction(
  tx: TTransaction,
  options: { tenantId: string; paymentId: string; refundId: string; amount: bigint },
): Promise<TPostResult[]> {
  const debit = await postRefundInTransaction(tx, options);
  if (!debit) return [];
  const payment = await tx.payment.findFirstOrThrow({ where: { tenantId: options.tenantId, id: options.paymentId }, select: { id: true, customerId: true } });
  const restored = -debit.entry.amount;
  const credit = await postLedgerEntryInTransaction(tx, {
    tenantId: options.tenantId,
    customerId: payment.customerId,
    amount: restored,
    kind: "REFUND",
    idempotencyKey: `stripe:refund-failed:${options.refundId}`,
    reference: { type: "payment", id: payment.id },
    memo: "Card refund failed: amount restored",
  });
  if (credit.created) {
    await tx.$executeRaw`
      UPDATE payments SET refunded_amount = GREATEST(0, refunded_amount - ${restored}), updated_at = now()
      WHERE tenant_id = ${options.tenantId}::uuid AND id = ${payment.id}::uuid`;
    await restorePaymentStatus(tx, options.tenantId, payment.id, ["REFUNDED", "PARTIALLY_REFUNDED"]);
  }
  return [debit, credit];
}
