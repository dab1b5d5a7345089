import { z } from "zod";
import { db } from "@/server/db/client";
import type { TCustomerRole } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { appUrl } from "@/server/mail/templates";
import { tryParseMoneyToMicros } from "@/server/rating/money";
import { microsToMinor } from "./stripe-amounts";
import { stripeFailure, stripeForTenant, stripeKeysFor, type Stripe } from "./stripe-client";

/**
 * Card top-ups through Stripe Checkout. The PENDING payment row is written before Stripe is
 * asked for anything, and its id is in the session's metadata, so a webhook can always find
 * the payment it pays — whichever event arrives first.
 */

export const ZStartTopUp = z.object({
  amount: z.string().trim().min(1, "Enter an amount"),
  saveCard: z.boolean().default(false),
});
export type TStartTopUp = z.input<typeof ZStartTopUp>;

/**
 * Who decides about the customer's cards. A saved card becomes the default that auto-recharge
 * charges and lifts an auto-recharge suspension (payment-methods.ts saveCardInTransaction), so
 * saving one on a top-up is theirs to decide too, like choosing the default card.
 */
export const CARD_OWNER_ROLES = ["CUSTOMER_ADMIN"] as const satisfies readonly TCustomerRole[];

function mayManageCards(role: TCustomerRole): boolean {
  return (CARD_OWNER_ROLES as readonly TCustomerRole[]).includes(role);
}

/**
 * How long a checkout page can be paid. Stripe's default is 24 hours; an abandoned checkout
 * keeps its payment PENDING until it expires, and a PENDING payment holds back a change of
 * the tenant's Stripe account (settings.ts), so it is let go after an hour. Stripe accepts
 * 30 minutes to 24 hours.
 */
export const CHECKOUT_EXPIRES_AFTER_SECONDS = 60 * 60;

/** Metadata every Stripe object we create carries; webhooks trust it only after the signature check. */
export type TPaymentMetadata = { tenant_id: string; customer_id: string; payment_id: string; kind: "topup" | "auto_recharge"; save_card?: "true" | "false" };

export async function topUpOptions(options: { tenantId: string; customerId: string }) {
  const [tenant, customer] = await Promise.all([
    db().tenant.findUniqueOrThrow({
      where: { id: options.tenantId },
      select: { currency: true, topUpMinimum: true, topUpMaximum: true, topUpPresets: true },
    }),
    db().customer.findFirst({ where: { tenantId: options.tenantId, id: options.customerId }, select: { balance: true, status: true, billingType: true } }),
  ]);
  if (!customer) throw AppError.notFound("Customer");
  const keys = await stripeKeysFor(options.tenantId);
  return {
    currency: tenant.currency,
    minimum: tenant.topUpMinimum,
    maximum: tenant.topUpMaximum,
    presets: tenant.topUpPresets,
    cardPaymentsAvailable: Boolean(keys.secretKey),
    publishableKey: keys.publishableKey,
    balance: customer.balance,
    status: customer.status,
    billingType: customer.billingType,
  };
}

/** The customer's Stripe customer, created on first need and remembered. */
export async function ensureStripeCustomer(options: { tenantId: string; customerId: string; stripe: Stripe }): Promise<string> {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { id: true, name: true, contactEmail: true, accountNumber: true, stripeCustomerId: true },
  });
  if (!customer) throw AppError.notFound("Customer");
  if (customer.stripeCustomerId) return customer.stripeCustomerId;
  let created: Stripe.Customer;
  try {
    created = await options.stripe.customers.create(
      {
        name: customer.name,
        email: customer.contactEmail,
        metadata: { tenant_id: options.tenantId, customer_id: customer.id, account_number: customer.accountNumber },
      },
      // Two first top-ups at once create one Stripe customer.
      { idempotencyKey: `customer:${customer.id}` },
    );
  } catch (error) {
    throw stripeFailure(error, "Could not set up card payments");
  }
  await db().customer.updateMany({ where: { id: customer.id, stripeCustomerId: null }, data: { stripeCustomerId: created.id } });
  const stored = await db().customer.findUniqueOrThrow({ where: { id: customer.id }, select: { stripeCustomerId: true } });
  return stored.stripeCustomerId ?? created.id;
}

export async function startTopUp(options: { tenantId: string; customerId: string; role: TCustomerRole; input: TStartTopUp }) {
  const input = ZStartTopUp.parse(options.input);
  if (input.saveCard && !mayManageCards(options.role)) {
    const message = "Only an account admin can save a card for automatic top-ups";
    throw new AppError("FORBIDDEN", message, { fieldErrors: { saveCard: [message] } });
  }
  const tenant = await db().tenant.findUniqueOrThrow({
    where: { id: options.tenantId },
    select: { currency: true, topUpMinimum: true, topUpMaximum: true, stripeSecretKeyEnc: true },
  });
  const parsed = tryParseMoneyToMicros(input.amount);
  if (!parsed.ok) throw AppError.invalidField("amount", "Enter an amount like 25.00");
  const amount = parsed.micros;
  if (amount < tenant.topUpMinimum || amount > tenant.topUpMaximum) {
    throw AppError.invalidField("amount", `Top up between ${fmt(tenant.topUpMinimum)} and ${fmt(tenant.topUpMaximum)} ${tenant.currency}`);
  }
  const amountMinor = microsToMinor(amount, tenant.currency);
  const { stripe } = await stripeForTenant(options.tenantId);
  const stripeCustomerId = await ensureStripeCustomer({ tenantId: options.tenantId, customerId: options.customerId, stripe });

  // The payment is created under a share of the tenant row's lock, with the keys it will be
  // paid with still the stored ones: a change of Stripe account (settings.ts) either sees it
  // PENDING and waits, or happened before and this top-up is refused, never paid in the old
  // account behind the change's back.
  const payment = await db().$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ stripe_secret_key_enc: string | null }[]>`
      SELECT stripe_secret_key_enc FROM tenants WHERE id = ${options.tenantId}::uuid FOR SHARE`;
    if (!locked || locked.stripe_secret_key_enc !== tenant.stripeSecretKeyEnc) {
      throw new AppError("CONFLICT", "The payment settings changed meanwhile; please try again");
    }
    return tx.payment.create({
      data: {
        tenantId: options.tenantId,
        customerId: options.customerId,
        kind: "TOPUP",
        amount,
        currency: tenant.currency,
        status: "PENDING",
        saveCard: input.saveCard,
      },
      select: { id: true },
    });
  });
  const metadata: TPaymentMetadata = {
    tenant_id: options.tenantId,
    customer_id: options.customerId,
    payment_id: payment.id,
    kind: "topup",
    save_card: input.saveCard ? "true" : "false",
  };
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        customer: stripeCustomerId,
        expires_at: Math.floor(Date.now() / 1000) + CHECKOUT_EXPIRES_AFTER_SECONDS,
        client_reference_id: payment.id,
        line_items: [
          {
            quantity: 1,
            price_data: { currency: tenant.currency.toLowerCase(), unit_amount: amountMinor, product_data: { name: "Account top-up" } },
          },
        ],
        payment_intent_data: { metadata, ...(input.saveCard ? { setup_future_usage: "off_session" as const } : {}) },
        metadata,
        success_url: `${appUrl("/portal/balance/return")}?payment=${payment.id}`,
        cancel_url: `${appUrl("/portal/balance")}?cancelled=${payment.id}`,
      },
      { idempotencyKey: `topup:${payment.id}` },
    );
  } catch (error) {
    await db().payment.update({
      where: { id: payment.id },
      data: { status: "FAILED", failureCode: "checkout_unavailable", failureMessage: "Could not start the checkout" },
    });
    throw stripeFailure(error, "Could not start the card payment");
  }
  await db().payment.update({ where: { id: payment.id }, data: { checkoutSessionId: session.id } });
  if (!session.url) throw new AppError("EXTERNAL_SERVICE", "The payment provider returned no checkout page");
  return { paymentId: payment.id, checkoutUrl: session.url };
}

function fmt(micros: bigint): string {
  const whole = micros / 1_000_000n;
  const cents = ((micros % 1_000_000n) / 10_000n).toString().padStart(2, "0");
  return `${whole}.${cents}`;
}

/** A payment as its customer and tenant staff see it listed. */
export const paymentRow = {
  id: true,
  kind: true,
  amount: true,
  currency: true,
  status: true,
  refundedAmount: true,
  failureCode: true,
  failureMessage: true,
  createdAt: true,
  updatedAt: true,
} as const;

/** The return page's question: has the webhook landed yet, and what is the balance now? */
export async function topUpStatus(options: { tenantId: string; customerId: string; paymentId: string }) {
  const payment = await db().payment.findFirst({
    where: { tenantId: options.tenantId, customerId: options.customerId, id: options.paymentId },
    select: paymentRow,
  });
  if (!payment) throw AppError.notFound("Payment");
  const customer = await db().customer.findUniqueOrThrow({ where: { id: options.customerId }, select: { balance: true, status: true } });
  return { payment, balance: customer.balance, accountStatus: customer.status };
}

export async function listPayments(options: { tenantId: string; customerId: string; limit?: number }) {
  return db().payment.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId },
    select: paymentRow,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(options.limit ?? 25, 1), 200),
  });
}
