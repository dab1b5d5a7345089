import type { TTransaction } from "@/server/db/client";
import { postLedgerEntryInTransaction, type TPostResult } from "@/server/wallet/ledger";

/**
 * The one way a successful card payment becomes balance. The ledger key is derived from the
 * PaymentIntent, so `checkout.session.completed`, `payment_intent.succeeded` and the
 * auto-recharge job — in any order, any number of times — credit a payment exactly once.
 * The amount is the payment row's (what we asked Stripe for), so every path posts the same
 * amount under the same key.
 */
export function paymentIntentLedgerKey(paymentIntentId: string): string {
  return `stripe:pi:${paymentIntentId}`;
}

export async function creditPaymentInTransaction(
  tx: TTransaction,
  options: { tenantId: string; paymentId: string; paymentIntentId: string },
): Promise<TPostResult | null> {
  // The customer never changes, so it is read before any lock.
  const payment = await tx.payment.findFirst({ where: { tenantId: options.tenantId, id: options.paymentId }, select: { id: true, customerId: true, kind: true, amount: true } });
  if (!payment) return null;
  // The customer, then the payment: the order every settlement takes (reconcile.ts settle,
  // manual-settlement.ts), so none waits on another in a cycle; and the PaymentIntent compared
  // below is the one on the locked row, not one read before another settlement committed.
  await tx.$queryRaw`SELECT id FROM customers WHERE tenant_id = ${options.tenantId}::uuid AND id = ${payment.customerId}::uuid FOR UPDATE`;
  const [locked] = await tx.$queryRaw<{ payment_intent_id: string | null }[]>`
    SELECT payment_intent_id FROM payments WHERE tenant_id = ${options.tenantId}::uuid AND id = ${payment.id}::uuid FOR UPDATE`;
  const storedIntentId = locked?.payment_intent_id ?? null;
  if (storedIntentId && storedIntentId !== options.paymentIntentId) {
    // A second PaymentIntent for one payment (a stale claim resent after Stripe forgot its
    // idempotency key, or one an admin settled by hand with another id): the ledger key is per
    // PaymentIntent, so crediting it would credit the payment twice. That needs a person (a refund).
    console.error(
      `[payments] payment ${payment.id} is paid by ${storedIntentId}; PaymentIntent ${options.paymentIntentId} also succeeded for it and is not credited: refund it in Stripe`,
    );
    return null;
  }
  const result = await postLedgerEntryInTransaction(tx, {
    tenantId: options.tenantId,
    customerId: payment.customerId,
    amount: payment.amount,
    kind: payment.kind === "AUTO_RECHARGE" ? "AUTO_RECHARGE" : "TOPUP",
    idempotencyKey: paymentIntentLedgerKey(options.paymentIntentId),
    reference: { type: "payment", id: payment.id },
    memo: payment.kind === "AUTO_RECHARGE" ? "Automatic card top-up" : "Card top-up",
  });
  // Stripe says the money arrived: a payment we had given up on (an unknown error) succeeded after all.
  await tx.payment.updateMany({
    where: { id: payment.id, status: { in: ["PENDING", "FAILED"] } },
    data: { status: "SUCCEEDED", failureCode: null, failureMessage: null },
  });
  if (!storedIntentId) {
    await tx.payment.update({ where: { id: payment.id }, data: { paymentIntentId: options.paymentIntentId } });
  }
  return result;
}
