import { z } from "zod";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { notifyBalanceChanged, type TPostResult } from "@/server/wallet/ledger";
import { recordRechargeFailure } from "./auto-recharge";
import { creditPaymentInTransaction, paymentIntentLedgerKey } from "./crediting";
import { microsToMinor } from "./stripe-amounts";
import { Stripe, stripeFailure, stripeForTenant } from "./stripe-client";

/**
 * A tenant admin settles by hand a card payment that reconciliation could not settle (it left
 * it PENDING as "Needs attention": its Checkout Session or PaymentIntent is not found with the
 * tenant's current keys, or Stripe shows a state it cannot decide on). Until then the payment
 * stays PENDING for ever, and a tenant cannot change its Stripe account while one is.
 *
 * - "paid": the admin found the payment in Stripe's dashboard and gives its PaymentIntent. The
 *   credit goes through the webhook's own ledger key for that PaymentIntent, so a webhook or a
 *   reconciliation that comes later finds it done: the money moves once, whoever is first.
 * - "not paid": the payment is closed as FAILED; an automatic top-up as a failed recharge is
 *   (the account is locked if its balance cannot carry calls), without mailing the customer.
 *   If Stripe tells us later that it was paid after all, the webhook still credits it
 *   (crediting.ts turns FAILED into SUCCEEDED).
 */

const REASON = z.string().trim().min(3, "Say what you checked, for the audit log").max(500, "At most 500 characters");

export const ZSettleByHand = z.discriminatedUnion("outcome", [
  z.object({
    paymentId: z.uuid(),
    outcome: z.literal("paid"),
    paymentIntentId: z
      .string()
      .trim()
      .regex(/^pi_[A-Za-z0-9]{8,100}$/, "Enter the PaymentIntent id from Stripe's dashboard, like pi_3QxY…"),
    reason: REASON,
  }),
  z.object({ paymentId: z.uuid(), outcome: z.literal("unpaid"), reason: REASON }),
]);
export type TSettleByHandInput = z.input<typeof ZSettleByHand>;

/** What reconcile.ts writes for a payment it leaves to a person. */
const NEEDS_PERSON_NOTE = "unresolved:";

/** The close's failure code, so statements and reports can tell it from Stripe's own failures. */
export const CLOSED_BY_STAFF = "closed_by_staff";

export function needsPerson(payment: { status: string; reconcileNote: string | null }): boolean {
  return payment.status === "PENDING" && (payment.reconcileNote?.startsWith(NEEDS_PERSON_NOTE) ?? false);
}

export async function settlePaymentByHand(options: { tenantId: string; actor: TActor; input: TSettleByHandInput }): Promise<{ status: "SUCCEEDED" | "FAILED" }> {
  const input = ZSettleByHand.parse(options.input);
  const { tenantId } = options;
  const payment = await db().payment.findFirst({
    where: { tenantId, id: input.paymentId },
    select: { id: true, customerId: true, kind: true, amount: true, currency: true, status: true, paymentIntentId: true, checkoutSessionId: true, reconcileNote: true },
  });
  if (!payment) throw AppError.notFound("Payment");
  if (payment.status !== "PENDING") throw new AppError("PRECONDITION_FAILED", `This payment is already settled (${payment.status.toLowerCase().replace(/_/g, " ")})`);
  if (!needsPerson(payment)) {
    throw new AppError("PRECONDITION_FAILED", "Stripe is still being asked about this payment; it can be settled by hand once reconciliation says it needs attention");
  }
  const audit = { tenantId, actor: options.actor, action: "payment.settled_by_hand", targetType: "payment", targetId: payment.id } as const;
  const before = { status: "PENDING", reconcileNote: payment.reconcileNote };

  if (input.outcome === "unpaid") {
    const stripeCheck = await checkNotPaidAtStripe(tenantId, payment);
    let closed: boolean;
    if (payment.kind === "AUTO_RECHARGE") {
      closed = await recordRechargeFailure({ tenantId, paymentId: payment.id, code: CLOSED_BY_STAFF, message: input.reason, suspend: false });
    } else {
      const changed = await db().payment.updateMany({
        where: { tenantId, id: payment.id, status: "PENDING" },
        data: { status: "FAILED", failureCode: CLOSED_BY_STAFF, failureMessage: input.reason },
      });
      closed = changed.count === 1;
    }
    if (!closed) throw settledMeanwhile();
    await recordAudit(db(), { ...audit, before, after: { status: "FAILED", failureCode: CLOSED_BY_STAFF, stripe: stripeCheck, reason: input.reason } });
    return { status: "FAILED" };
  }

  if (payment.paymentIntentId && payment.paymentIntentId !== input.paymentIntentId) {
    throw AppError.invalidField("paymentIntentId", `This payment was sent to Stripe as ${payment.paymentIntentId}; settle it with that id`);
  }
  const stripeCheck = await checkIntentAtStripe(tenantId, payment, input.paymentIntentId);
  const credited = await db().$transaction(async (tx) => {
    // Against a webhook or reconciliation settling it at this moment, in their order (the
    // customer, then the payment): whichever locks second sees it settled.
    await tx.$queryRaw`SELECT id FROM customers WHERE tenant_id = ${tenantId}::uuid AND id = ${payment.customerId}::uuid FOR UPDATE`;
    const [locked] = await tx.$queryRaw<{ status: string; payment_intent_id: string | null }[]>`
      SELECT status::text AS status, payment_intent_id FROM payments WHERE tenant_id = ${tenantId}::uuid AND id = ${payment.id}::uuid FOR UPDATE`;
    if (locked?.status !== "PENDING") throw settledMeanwhile();
    if (locked.payment_intent_id && locked.payment_intent_id !== input.paymentIntentId) throw settledMeanwhile();
    const otherPayment = await tx.payment.findFirst({ where: { tenantId, paymentIntentId: input.paymentIntentId, id: { not: payment.id } }, select: { id: true } });
    const usedKey = await tx.ledgerEntry.findFirst({ where: { tenantId, idempotencyKey: paymentIntentLedgerKey(input.paymentIntentId) }, select: { id: true } });
    if (otherPayment || usedKey) throw AppError.invalidField("paymentIntentId", "That PaymentIntent has already paid another payment");
    const result = await creditPaymentInTransaction(tx, { tenantId, paymentId: payment.id, paymentIntentId: input.paymentIntentId });
    if (!result) throw settledMeanwhile();
    await recordAudit(tx, { ...audit, before, after: { status: "SUCCEEDED", paymentIntentId: input.paymentIntentId, stripe: stripeCheck, reason: input.reason } });
    return result;
  });
  await notifyBalanceChanged([credited] satisfies TPostResult[]);
  return { status: "SUCCEEDED" };
}

function settledMeanwhile(): AppError {
  return new AppError("CONFLICT", "This payment was settled meanwhile; reload to see how");
}

/**
 * Asks the tenant's current Stripe account about the PaymentIntent when it can. One it has must
 * have succeeded, for this amount, and not name another payment; one it does not have (the usual
 * reason a payment needs a person: it was made in an account the tenant no longer uses) is taken
 * on the admin's word, and the audit event says it was not checked.
 */
async function checkIntentAtStripe(
  tenantId: string,
  payment: { id: string; amount: bigint; currency: string },
  paymentIntentId: string,
): Promise<string> {
  let stripe: Stripe;
  try {
    ({ stripe } = await stripeForTenant(tenantId));
  } catch (error) {
    if (error instanceof AppError && error.code === "PRECONDITION_FAILED") {
      await refuseIntentOfAnotherTenant(tenantId, paymentIntentId);
      return "not checked: card payments are not set up";
    }
    throw error;
  }
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.retrieve(paymentIntentId);
  } catch (error) {
    if (isMissing(error)) {
      await refuseIntentOfAnotherTenant(tenantId, paymentIntentId);
      return "not checked: not found with the tenant's current Stripe keys";
    }
    throw stripeFailure(error, "Could not check the PaymentIntent with Stripe");
  }
  if (intent.status !== "succeeded") throw AppError.invalidField("paymentIntentId", `Stripe says this PaymentIntent is ${intent.status.replace(/_/g, " ")}, not paid`);
  const namedPayment = intent.metadata?.payment_id;
  if (namedPayment && namedPayment !== payment.id) throw AppError.invalidField("paymentIntentId", "Stripe says this PaymentIntent was made for another payment");
  if (intent.currency.toUpperCase() !== payment.currency.toUpperCase() || intent.amount_received !== microsToMinor(payment.amount, payment.currency)) {
    throw AppError.invalidField("paymentIntentId", `Stripe says this PaymentIntent received ${intent.amount_received} ${intent.currency.toUpperCase()} in minor units, not this payment's amount`);
  }
  return `checked: Stripe says ${intent.id} succeeded`;
}

function isMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeError && (error.code === "resource_missing" || error.statusCode === 404);
}

/**
 * An id taken on the admin's word must not be one of another tenant's payments: Stripe's own
 * events about it (a dispute, a refund made in Stripe's dashboard) carry no metadata and are
 * routed by the PaymentIntent, so a copy here could send that tenant's chargeback to this one.
 * The only query that looks across tenants, and it answers yes or no.
 */
async function refuseIntentOfAnotherTenant(tenantId: string, paymentIntentId: string): Promise<void> {
  const elsewhere = await db().payment.findFirst({ where: { paymentIntentId, tenantId: { not: tenantId } }, select: { id: true } });
  if (elsewhere) throw AppError.invalidField("paymentIntentId", "That PaymentIntent has already paid another payment");
}

/**
 * Before a payment is closed as not paid, the tenant's Stripe account is asked about what it
 * knows of it: reconciliation leaves a payment to a person for any error, including one whose
 * checkout was paid (a card's details that could not be fetched), and once closed nothing looks
 * at it again. What the current account does not have is taken on the admin's word.
 */
async function checkNotPaidAtStripe(
  tenantId: string,
  payment: { paymentIntentId: string | null; checkoutSessionId: string | null },
): Promise<string> {
  if (!payment.paymentIntentId && !payment.checkoutSessionId) return "not checked: nothing was sent to Stripe";
  let stripe: Stripe;
  try {
    ({ stripe } = await stripeForTenant(tenantId));
  } catch (error) {
    if (error instanceof AppError && error.code === "PRECONDITION_FAILED") return "not checked: card payments are not set up";
    throw error;
  }
  try {
    const intentId = payment.paymentIntentId ?? idOf((await stripe.checkout.sessions.retrieve(payment.checkoutSessionId ?? "")).payment_intent);
    if (!intentId) return "checked: the checkout was not paid";
    const intent = await stripe.paymentIntents.retrieve(intentId);
    if (intent.status === "succeeded" || intent.status === "processing") {
      throw new AppError(
        "PRECONDITION_FAILED",
        intent.status === "succeeded"
          ? `Stripe says this payment was paid (${intent.id}): settle it as paid with that PaymentIntent`
          : `Stripe says this payment is still processing (${intent.id}): wait for it`,
      );
    }
    return `checked: Stripe says ${intent.id} is ${intent.status.replace(/_/g, " ")}`;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isMissing(error)) return "not checked: not found with the tenant's current Stripe keys";
    throw stripeFailure(error, "Could not check the payment with Stripe");
  }
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}
