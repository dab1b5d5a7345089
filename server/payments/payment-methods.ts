import { z } from "zod";
import type { TTransaction } from "@/server/db/client";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { stripeFailure, stripeForTenant, Stripe } from "./stripe-client";

/** Saved cards. Stripe holds the card; we keep its id and what a person needs to recognise it. */

export const ZPaymentMethodRef = z.object({ paymentMethodId: z.uuid() });

const methodRow = { id: true, brand: true, last4: true, expMonth: true, expYear: true, isDefault: true, createdAt: true } as const;

export async function listPaymentMethods(options: { tenantId: string; customerId: string }) {
  return db().paymentMethod.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId },
    select: methodRow,
    orderBy: [{ isDefault: "desc" }, { createdAt: "desc" }],
  });
}

export type TCardDetails = { stripePaymentMethodId: string; brand: string; last4: string; expMonth: number; expYear: number };

export function cardDetailsOf(method: Stripe.PaymentMethod): TCardDetails | null {
  if (!method.card) return null;
  return { stripePaymentMethodId: method.id, brand: method.card.brand, last4: method.card.last4, expMonth: method.card.exp_month, expYear: method.card.exp_year };
}

/**
 * Remembers a card inside the caller's transaction (the webhook that saw it succeed). The
 * first card becomes the default; a new default card lifts an auto-recharge suspension,
 * because the suspension exists to wait for exactly that.
 */
export async function saveCardInTransaction(tx: TTransaction, options: { tenantId: string; customerId: string; card: TCardDetails }) {
  const existing = await tx.paymentMethod.findUnique({
    where: { tenantId_stripePaymentMethodId: { tenantId: options.tenantId, stripePaymentMethodId: options.card.stripePaymentMethodId } },
    select: { id: true },
  });
  if (existing) return existing.id;
  // Serialise against a concurrent save for the same customer (the one-default index).
  await tx.$queryRaw`SELECT id FROM customers WHERE id = ${options.customerId}::uuid FOR UPDATE`;
  const hasDefault = (await tx.paymentMethod.count({ where: { customerId: options.customerId, isDefault: true } })) > 0;
  const created = await tx.paymentMethod.create({
    data: { tenantId: options.tenantId, customerId: options.customerId, ...options.card, isDefault: !hasDefault },
    select: { id: true },
  });
  if (!hasDefault) await clearSuspension(tx, options.customerId);
  return created.id;
}

async function clearSuspension(tx: TTransaction, customerId: string) {
  await tx.autoRechargeSettings.updateMany({ where: { customerId, suspendedAt: { not: null } }, data: { suspendedAt: null, suspendedReason: null } });
}

export async function setDefaultPaymentMethod(options: { tenantId: string; customerId: string; paymentMethodId: string }) {
  await db().$transaction(async (tx) => {
    const method = await tx.paymentMethod.findFirst({
      where: { tenantId: options.tenantId, customerId: options.customerId, id: options.paymentMethodId },
      select: { id: true },
    });
    if (!method) throw AppError.notFound("Card");
    await tx.$queryRaw`SELECT id FROM customers WHERE id = ${options.customerId}::uuid FOR UPDATE`;
    await tx.paymentMethod.updateMany({ where: { customerId: options.customerId, isDefault: true }, data: { isDefault: false } });
    await tx.paymentMethod.update({ where: { id: method.id }, data: { isDefault: true } });
    await clearSuspension(tx, options.customerId);
  });
  return listPaymentMethods(options);
}

export async function removePaymentMethod(options: { tenantId: string; customerId: string; paymentMethodId: string }) {
  const method = await db().paymentMethod.findFirst({
    where: { tenantId: options.tenantId, customerId: options.customerId, id: options.paymentMethodId },
    select: { id: true, stripePaymentMethodId: true },
  });
  if (!method) throw AppError.notFound("Card");
  const { stripe } = await stripeForTenant(options.tenantId);
  try {
    await stripe.paymentMethods.detach(method.stripePaymentMethodId);
  } catch (error) {
    // Already gone at Stripe: forgetting it here is what the customer asked for.
    const gone = error instanceof Stripe.errors.StripeError && (error.code === "resource_missing" || error.statusCode === 404);
    if (!gone) throw stripeFailure(error, "Could not remove the card");
  }
  await db().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM customers WHERE id = ${options.customerId}::uuid FOR UPDATE`;
    const removed = await tx.paymentMethod.findUnique({ where: { id: method.id }, select: { isDefault: true } });
    if (!removed) return;
    await tx.paymentMethod.delete({ where: { id: method.id } });
    if (removed.isDefault) {
      // The newest remaining card takes over, so auto-recharge keeps a card to charge.
      const next = await tx.paymentMethod.findFirst({ where: { customerId: options.customerId }, orderBy: { createdAt: "desc" }, select: { id: true } });
      if (next) await tx.paymentMethod.update({ where: { id: next.id }, data: { isDefault: true } });
    }
  });
  return listPaymentMethods(options);
}
