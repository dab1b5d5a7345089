import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { parseMoneyToMicros } from "@/server/rating/money";
import { notifyBalanceChanged } from "@/server/wallet/ledger";
import { microsToMinor, minorToMicros } from "./stripe-amounts";
import { stripeFailure, stripeForTenant } from "./stripe-client";
import { paymentRow } from "./top-up";
import { applyRefundInTransaction } from "./webhooks";

/**
 * A tenant admin refunds a card payment. The ledger debit is posted as soon as Stripe
 * accepts the refund (succeeded or pending), under the key the refund webhooks use
 * (`stripe:refund:<id>`), so whichever comes first debits and the others find it done:
 * exactly once. A refund that needs action is debited when its webhook says it went through;
 * one that fails, now or later, is netted out by `stripe:refund-failed:<id>`.
 */

export const ZRefund = z.object({
  paymentId: z.uuid(),
  /** Decimal currency units; omitted refunds what is left. */
  amount: z.string().trim().regex(/^\d{1,9}(\.\d{1,6})?$/, "Enter an amount like 10.00").optional(),
  reason: z.string().trim().max(500).optional(),
});
export type TRefundInput = z.input<typeof ZRefund>;

export async function refundPayment(options: { tenantId: string; actor: TActor; input: TRefundInput }) {
  const input = ZRefund.parse(options.input);
  const payment = await db().payment.findFirst({
    where: { tenantId: options.tenantId, id: input.paymentId },
    select: { id: true, customerId: true, amount: true, refundedAmount: true, currency: true, status: true, paymentIntentId: true },
  });
  if (!payment) throw AppError.notFound("Payment");
  if (!payment.paymentIntentId || (payment.status !== "SUCCEEDED" && payment.status !== "PARTIALLY_REFUNDED")) {
    throw new AppError("PRECONDITION_FAILED", "Only a successful card payment can be refunded");
  }
  const remaining = payment.amount - payment.refundedAmount;
  const amount = input.amount !== undefined ? parseMoneyToMicros(input.amount) : remaining;
  if (amount <= 0n) throw AppError.invalidField("amount", "Enter an amount above zero");
  if (amount > remaining) throw AppError.invalidField("amount", "That is more than is left to refund");
  const amountMinor = microsToMinor(amount, payment.currency);
  const { stripe } = await stripeForTenant(options.tenantId);
  // A refund that failed gave its amount back, so the same amount can be refunded again; that
  // attempt needs a key of its own, or Stripe would replay the failed refund.
  const failedBefore = await db().ledgerEntry.count({
    where: { tenantId: options.tenantId, referenceType: "payment", referenceId: payment.id, idempotencyKey: { startsWith: "stripe:refund-failed:" } },
  });
  let refund;
  try {
    refund = await stripe.refunds.create(
      {
        payment_intent: payment.paymentIntentId,
        amount: amountMinor,
        metadata: { tenant_id: options.tenantId, customer_id: payment.customerId, payment_id: payment.id },
      },
      // Payment, amount and what was refunded before: a double click refunds once, a second
      // deliberate partial refund of the same amount (after the first landed) is a new one.
      { idempotencyKey: `refund:${payment.id}:${amountMinor}:${payment.refundedAmount}${failedBefore > 0 ? `:after-${failedBefore}-failed` : ""}` },
    );
  } catch (error) {
    throw stripeFailure(error, "Stripe refused the refund");
  }
  const refunded = minorToMicros(refund.amount, payment.currency);
  const results = await db().$transaction(async (tx) => {
    const posted = await applyRefundInTransaction(tx, { tenantId: options.tenantId, paymentId: payment.id, refund });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "payment.refunded",
      targetType: "payment",
      targetId: payment.id,
      after: { refundId: refund.id, amount: refunded.toString(), status: refund.status, reason: input.reason ?? null },
    });
    return posted;
  });
  await notifyBalanceChanged(results);
  if (refund.status === "failed" || refund.status === "canceled") {
    throw new AppError("EXTERNAL_SERVICE", `Stripe could not refund this payment (${refund.failure_reason ?? refund.status}); the balance is unchanged`);
  }
  // requires_action: not debited yet; the refund webhooks debit it once it goes through.
  return { refundId: refund.id, amount: refunded, status: refund.status, debited: refund.status === "succeeded" || refund.status === "pending" };
}

/** Tenant staff's view of a customer's card payments. */
export async function listCustomerPayments(options: { tenantId: string; customerId: string }) {
  return db().payment.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId },
    // And what reconciliation with Stripe last found for a payment still in progress (reconcile.ts).
    select: { ...paymentRow, reconcileCheckedAt: true, reconcileNote: true },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 100,
  });
}
