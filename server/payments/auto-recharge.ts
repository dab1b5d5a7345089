import { z } from "zod";
import { db, type TDb } from "@/server/db/client";
import { AppError, isUniqueViolation } from "@/server/errors";
import { sendEvent } from "@/server/jobs/send";
import { sendMail } from "@/server/mail/mailer";
import { appUrl } from "@/server/mail/templates";
import { formatMicros, parseMoneyToMicros } from "@/server/rating/money";
import { balanceExhausted, lockForBalance } from "@/server/wallet/account-state";
import { notifyBalanceChanged } from "@/server/wallet/ledger";
import { creditPaymentInTransaction } from "./crediting";
import { rechargeAmount } from "./recharge-amount";
import { microsToMinor } from "./stripe-amounts";
import { Stripe, stripeForTenant } from "./stripe-client";
import type { TPaymentMetadata } from "./top-up";

/**
 * Auto-recharge: when the balance falls below the customer's threshold, charge the default
 * card off-session. Exactly one recharge is in flight per customer, guaranteed by the
 * database: the claim locks the settings row, and the partial unique index
 * `payments_one_pending_auto_recharge` refuses a second PENDING AUTO_RECHARGE payment.
 * The Stripe idempotency key is `auto-recharge:<customer>:<sequence>`, fixed at claim time,
 * so any retry of the charge reuses it and Stripe charges at most once.
 */

const ZMoney = (field: string) => z.string().trim().regex(/^\d{1,9}(\.\d{1,6})?$/, `Enter ${field} like 25.00`);

export const ZAutoRechargeInput = z.object({
  enabled: z.boolean(),
  threshold: ZMoney("a threshold"),
  amount: ZMoney("an amount"),
  /** When set, recharge enough to bring the balance up to this instead of a fixed amount. */
  topUpTo: ZMoney("a target balance").nullable().default(null),
  maxPerDay: z.number().int().min(1, "At least one recharge a day").max(10, "At most 10 recharges a day"),
});
export type TAutoRechargeInput = z.input<typeof ZAutoRechargeInput>;

/**
 * A pending recharge untouched for this long with no PaymentIntent was abandoned by a crashed
 * run, or its charge's outcome is unknown: it is resumed under the same key.
 */
const STALE_CLAIM_MS = 10 * 60 * 1000;

/**
 * Stripe keeps an idempotency key's result for 24 hours; past that, resending the key could
 * charge again. A claim this old is not resent: reconciliation settles it (see chargeAutoRecharge).
 */
const IDEMPOTENCY_WINDOW_MS = 23 * 60 * 60 * 1000;

/** Auto-recharges of the customer today, the tenant's calendar day: what the daily cap counts. */
async function rechargesToday(client: TDb, customerId: string, timeZone: string): Promise<number> {
  const [today] = await client.$queryRaw<{ count: bigint }[]>`
    SELECT COUNT(*)::bigint AS count FROM payments
    WHERE customer_id = ${customerId}::uuid AND kind = 'AUTO_RECHARGE'
      AND created_at >= (date_trunc('day', now() AT TIME ZONE ${timeZone}) AT TIME ZONE ${timeZone})`;
  return Number(today?.count ?? 0n);
}

export async function getAutoRecharge(options: { tenantId: string; customerId: string }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: {
      id: true,
      autoRecharge: true,
      paymentMethods: { where: { isDefault: true }, select: { id: true, brand: true, last4: true } },
      tenant: { select: { timeZone: true } },
    },
  });
  if (!customer) throw AppError.notFound("Customer");
  const settings = customer.autoRecharge;
  return {
    /** Counted against the daily cap: a page can tell whether saving would charge now. */
    rechargesToday: await rechargesToday(db(), customer.id, customer.tenant.timeZone),
    enabled: settings?.enabled ?? false,
    threshold: settings?.threshold ?? 10_000_000n,
    amount: settings?.amount ?? 25_000_000n,
    topUpTo: settings?.topUpTo ?? null,
    maxPerDay: settings?.maxPerDay ?? 3,
    suspendedAt: settings?.suspendedAt ?? null,
    suspendedReason: settings?.suspendedReason ?? null,
    defaultCard: customer.paymentMethods[0] ?? null,
  };
}

export async function saveAutoRecharge(options: { tenantId: string; customerId: string; input: TAutoRechargeInput }) {
  const input = ZAutoRechargeInput.parse(options.input);
  const tenant = await db().tenant.findUniqueOrThrow({ where: { id: options.tenantId }, select: { currency: true, topUpMinimum: true, topUpMaximum: true } });
  const threshold = parseMoneyToMicros(input.threshold);
  const amount = parseMoneyToMicros(input.amount);
  const topUpTo = input.topUpTo === null ? null : parseMoneyToMicros(input.topUpTo);
  if (amount < tenant.topUpMinimum || amount > tenant.topUpMaximum) {
    throw AppError.invalidField("amount", `Recharge between ${formatMicros(tenant.topUpMinimum, { minFractionDigits: 2 })} and ${formatMicros(tenant.topUpMaximum, { minFractionDigits: 2 })} ${tenant.currency}`);
  }
  microsToMinor(amount, tenant.currency);
  if (topUpTo !== null && topUpTo <= threshold) throw AppError.invalidField("topUpTo", "The target balance must be above the threshold");
  if (topUpTo !== null && topUpTo - threshold > tenant.topUpMaximum) throw AppError.invalidField("topUpTo", "The target is further above the threshold than the largest allowed top-up");
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { balance: true, paymentMethods: { where: { isDefault: true }, select: { id: true } } },
  });
  if (!customer) throw AppError.notFound("Customer");
  if (input.enabled && customer.paymentMethods.length === 0) {
    throw new AppError("PRECONDITION_FAILED", "Save a card with a top-up first: auto-recharge charges your default card");
  }
  const data = { enabled: input.enabled, threshold, amount, topUpTo, maxPerDay: input.maxPerDay };
  await db().autoRechargeSettings.upsert({
    where: { customerId: options.customerId },
    create: { customerId: options.customerId, tenantId: options.tenantId, ...data },
    update: data,
  });
  // Already below the new threshold: recharge now rather than at the next call.
  if (input.enabled && customer.balance < threshold) {
    await sendEvent({ name: "wallet/balance.low", data: { tenantId: options.tenantId, customerId: options.customerId, balance: customer.balance.toString() } });
  }
  return getAutoRecharge(options);
}

type TClaim = { claimed: true; paymentId: string } | { claimed: false; reason: string };

/**
 * Decides, in one transaction, whether a recharge is due and reserves it: re-checks the
 * balance against the threshold, the daily cap and the suspension, takes the next sequence
 * number and inserts the PENDING payment — all before Stripe hears of it.
 */
export async function claimAutoRecharge(options: { tenantId: string; customerId: string }): Promise<TClaim> {
  try {
    return await db().$transaction(async (tx): Promise<TClaim> => {
      // A share of the tenant row's lock, taken first (a change of Stripe account takes the
      // row before the customers, so this order cannot deadlock with it): the change either
      // sees this claim PENDING and is refused, or commits first and the charge, which reads
      // the keys after this commits, uses the new account (where the old cards are gone).
      await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${options.tenantId}::uuid FOR SHARE`;
      const locked = await tx.$queryRaw<{ customer_id: string }[]>`
        SELECT customer_id FROM auto_recharge_settings WHERE tenant_id = ${options.tenantId}::uuid AND customer_id = ${options.customerId}::uuid FOR UPDATE`;
      if (locked.length === 0) return { claimed: false, reason: "not-configured" };
      const settings = await tx.autoRechargeSettings.findUniqueOrThrow({ where: { customerId: options.customerId } });
      if (!settings.enabled) return { claimed: false, reason: "disabled" };
      if (settings.suspendedAt) return { claimed: false, reason: "suspended" };

      const pending = await tx.payment.findFirst({
        where: { customerId: options.customerId, kind: "AUTO_RECHARGE", status: "PENDING" },
        select: { id: true, paymentIntentId: true, updatedAt: true },
      });
      if (pending) {
        // A run that died between claiming and charging left this behind; resuming it reuses
        // its sequence, hence its idempotency key, so Stripe cannot charge twice.
        if (!pending.paymentIntentId && Date.now() - pending.updatedAt.getTime() > STALE_CLAIM_MS) {
          const taken = await tx.payment.updateMany({ where: { id: pending.id, updatedAt: pending.updatedAt }, data: { updatedAt: new Date() } });
          if (taken.count === 1) return { claimed: true, paymentId: pending.id };
        }
        return { claimed: false, reason: "in-flight" };
      }

      const customer = await tx.customer.findUniqueOrThrow({
        where: { id: options.customerId },
        select: { balance: true, status: true, tenant: { select: { currency: true, timeZone: true, topUpMinimum: true, topUpMaximum: true } } },
      });
      if (customer.status === "CLOSED" || customer.status === "SUSPENDED") return { claimed: false, reason: "account-inactive" };
      if (customer.balance >= settings.threshold) return { claimed: false, reason: "balance-ok" };
      const card = await tx.paymentMethod.findFirst({ where: { customerId: options.customerId, isDefault: true }, select: { id: true } });
      if (!card) return { claimed: false, reason: "no-card" };

      if ((await rechargesToday(tx, options.customerId, customer.tenant.timeZone)) >= settings.maxPerDay) return { claimed: false, reason: "daily-cap" };

      const currency = customer.tenant.currency;
      const amount = rechargeAmount({
        balance: customer.balance,
        amount: settings.amount,
        topUpTo: settings.topUpTo,
        minimum: customer.tenant.topUpMinimum,
        maximum: customer.tenant.topUpMaximum,
        currency,
      });

      const bumped = await tx.autoRechargeSettings.update({
        where: { customerId: options.customerId },
        data: { lastSequence: { increment: 1 } },
        select: { lastSequence: true },
      });
      const payment = await tx.payment.create({
        data: {
          tenantId: options.tenantId,
          customerId: options.customerId,
          kind: "AUTO_RECHARGE",
          amount,
          currency,
          status: "PENDING",
          sequence: bumped.lastSequence,
        },
        select: { id: true },
      });
      return { claimed: true, paymentId: payment.id };
    });
  } catch (error) {
    // A concurrent claim inserted its PENDING payment first: that one is the recharge.
    if (isUniqueViolation(error)) return { claimed: false, reason: "in-flight" };
    throw error;
  }
}

/** Why a claim found no recharge to make while the balance may still be running out. */
const CANNOT_RECHARGE: Record<string, string> = {
  "no-card": "there is no saved card to charge",
  "daily-cap": "today's automatic top-ups are used up",
};

/**
 * An auto-recharge that cannot run (no saved card, today's limit reached) does not keep the
 * account open: the balance-changed reaction skips the lock because a recharge was set up, so
 * when the claim finds none can be made and the balance cannot carry calls, the account is
 * locked here. A payment later unlocks it as for any balance lock. Returns whether it locked.
 */
export async function lockWhenRechargeCannotRun(options: { tenantId: string; customerId: string; reason: string }): Promise<boolean> {
  const why = CANNOT_RECHARGE[options.reason];
  if (!why) return false;
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { id: true, status: true, billingType: true, balance: true, lockThreshold: true, creditLimit: true },
  });
  if (!customer || customer.status !== "ACTIVE" || !balanceExhausted(customer)) return false;
  return lockForBalance({ tenantId: options.tenantId, customerId: customer.id, reason: `The balance cannot carry calls and ${why}` });
}

export type TChargeOutcome = { status: "SUCCEEDED" | "FAILED" | "PENDING" | "SKIPPED"; code?: string };

/** Charges a claimed recharge off-session and settles it. Safe to run again for the same payment. */
export async function chargeAutoRecharge(options: { tenantId: string; paymentId: string }): Promise<TChargeOutcome> {
  const payment = await db().payment.findFirst({
    where: { tenantId: options.tenantId, id: options.paymentId, kind: "AUTO_RECHARGE" },
    select: { id: true, customerId: true, amount: true, currency: true, status: true, sequence: true, paymentIntentId: true, createdAt: true },
  });
  if (!payment) throw AppError.notFound("Payment");
  if (payment.status !== "PENDING") return { status: payment.status === "SUCCEEDED" ? "SUCCEEDED" : "SKIPPED" };
  if (!payment.paymentIntentId && Date.now() - payment.createdAt.getTime() > IDEMPOTENCY_WINDOW_MS) {
    // Stripe may have forgotten the key: resending it could charge a second time. Failing the
    // payment here is not ours to decide either: a send near the window's end may have charged,
    // and with its webhook lost too, a FAILED payment is never looked at again (the card
    // charged, nothing credited). It stays PENDING for reconciliation, which searches Stripe for
    // it by its metadata and credits it, or closes it as not charged once nothing can be sent.
    console.error(`[payments] auto-recharge ${payment.id}: outcome still unknown after Stripe's idempotency window; left to reconciliation`);
    return { status: "PENDING", code: "outcome_unknown" };
  }
  const customer = await db().customer.findUniqueOrThrow({
    where: { id: payment.customerId },
    select: { stripeCustomerId: true, paymentMethods: { where: { isDefault: true }, select: { stripePaymentMethodId: true } } },
  });
  const card = customer.paymentMethods[0];
  if (!customer.stripeCustomerId || !card) {
    await recordRechargeFailure({ tenantId: options.tenantId, paymentId: payment.id, code: "no_card", message: "No saved card to charge", suspend: true });
    return { status: "FAILED", code: "no_card" };
  }
  const { stripe } = await stripeForTenant(options.tenantId);
  const metadata: TPaymentMetadata = { tenant_id: options.tenantId, customer_id: payment.customerId, payment_id: payment.id, kind: "auto_recharge" };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        confirm: true,
        off_session: true,
        customer: customer.stripeCustomerId,
        payment_method: card.stripePaymentMethodId,
        amount: microsToMinor(payment.amount, payment.currency),
        currency: payment.currency.toLowerCase(),
        description: "Automatic account top-up",
        metadata,
      },
      { idempotencyKey: `auto-recharge:${payment.customerId}:${payment.sequence ?? 0}` },
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError && (error.type === "StripeCardError" || error.code === "authentication_required")) {
      const code = error.code ?? "card_declined";
      await recordRechargeFailure({
        tenantId: options.tenantId,
        paymentId: payment.id,
        code,
        message: error.message,
        declineCode: error.decline_code ?? null,
        paymentIntentId: error.payment_intent?.id ?? null,
        suspend: true,
      });
      return { status: "FAILED", code };
    }
    if (
      error instanceof Stripe.errors.StripeInvalidRequestError ||
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError
    ) {
      // Refused before anything was charged (a detached card, revoked keys): nothing to wait for.
      console.error("[payments] auto-recharge refused by Stripe:", error);
      await recordRechargeFailure({ tenantId: options.tenantId, paymentId: payment.id, code: error.code ?? "invalid_request", message: error.message, suspend: false });
      return { status: "FAILED", code: error.code ?? "invalid_request" };
    }
    // Unknown outcome: Stripe down or timing out after the SDK's own retries, or an
    // idempotency error. Stripe may have charged. Closing the payment would free the one
    // pending recharge and let the next balance event charge again under a new key, so it
    // stays PENDING, marked; the next claim after STALE_CLAIM_MS resends the same key, which
    // Stripe answers with the first attempt's result, and a payment_intent.succeeded webhook
    // (it carries this payment's id) credits it in the meantime.
    console.error("[payments] auto-recharge outcome unknown:", error);
    await db().payment.updateMany({
      where: { id: payment.id, status: "PENDING" },
      data: { failureCode: "outcome_unknown", failureMessage: "The payment provider did not confirm the charge; it will be retried under the same key" },
    });
    // Until the outcome is known no money is coming: a balance that cannot carry calls locks,
    // and the credit, should the charge have gone through, unlocks it.
    await lockForBalance({ tenantId: options.tenantId, customerId: payment.customerId, reason: "The automatic top-up could not be confirmed and the balance cannot carry calls" });
    return { status: "PENDING", code: "outcome_unknown" };
  }
  return settleAutoRechargeIntent({ tenantId: options.tenantId, paymentId: payment.id, intent });
}

async function settleAutoRechargeIntent(options: { tenantId: string; paymentId: string; intent: Stripe.PaymentIntent }): Promise<TChargeOutcome> {
  const { intent } = options;
  if (intent.status === "succeeded") {
    const result = await db().$transaction((tx) => creditPaymentInTransaction(tx, { tenantId: options.tenantId, paymentId: options.paymentId, paymentIntentId: intent.id }));
    if (result) await notifyBalanceChanged([result]);
    return { status: "SUCCEEDED" };
  }
  if (intent.status === "processing") {
    // The webhook settles it; until then it is the one recharge in flight.
    await db().payment.updateMany({ where: { id: options.paymentId, paymentIntentId: null }, data: { paymentIntentId: intent.id } });
    return { status: "PENDING" };
  }
  const code = intent.last_payment_error?.code ?? (intent.status === "requires_action" ? "authentication_required" : intent.status);
  await recordRechargeFailure({
    tenantId: options.tenantId,
    paymentId: options.paymentId,
    code,
    message: intent.last_payment_error?.message ?? "The card could not be charged",
    paymentIntentId: intent.id,
    suspend: true,
  });
  return { status: "FAILED", code };
}

/**
 * A recharge that did not go through: the payment is FAILED with Stripe's code (and the card
 * issuer's decline code after the message, for staff who look it up); on a decline
 * or an authentication demand auto-recharge is suspended (retrying a declined card every few
 * minutes helps nobody) and the customer is emailed; an account that can no longer carry
 * calls is locked, since no recharge is coming. Only the call that flips PENDING → FAILED
 * does the rest, so retries and a racing webhook act once. The lock comes before the mail:
 * a mail that fails leaves a retry that no longer flips, and the lock must not depend on it.
 * The suspension keeps the message alone: the customer reads it beside "paused since", and
 * the codes stay on the failed payment, where staff see them.
 */
export async function recordRechargeFailure(options: {
  tenantId: string;
  paymentId: string;
  code: string;
  message: string;
  suspend: boolean;
  paymentIntentId?: string | null;
  declineCode?: string | null;
}): Promise<boolean> {
  const payment = await db().payment.findFirst({ where: { tenantId: options.tenantId, id: options.paymentId }, select: { customerId: true, amount: true, currency: true } });
  if (!payment) return false;
  const flipped = await db().$transaction(async (tx) => {
    const changed = await tx.payment.updateMany({
      where: { id: options.paymentId, status: "PENDING" },
      data: {
        status: "FAILED",
        failureCode: options.code.slice(0, 100),
        failureMessage: (options.declineCode ? `${options.message} (${options.declineCode})` : options.message).slice(0, 500),
      },
    });
    if (changed.count === 0) return false;
    if (options.paymentIntentId) {
      await tx.payment.updateMany({ where: { id: options.paymentId, paymentIntentId: null }, data: { paymentIntentId: options.paymentIntentId } });
    }
    if (options.suspend) {
      await tx.autoRechargeSettings.updateMany({
        where: { customerId: payment.customerId, suspendedAt: null },
        data: { suspendedAt: new Date(), suspendedReason: options.message.slice(0, 500) },
      });
    }
    return true;
  });
  if (!flipped) return false;
  // Conditional on the balance at the moment of the UPDATE, not on a read taken before it.
  await lockForBalance({ tenantId: options.tenantId, customerId: payment.customerId, reason: "The automatic top-up failed and the balance cannot carry calls" });
  if (options.suspend) {
    const customer = await db().customer.findUniqueOrThrow({ where: { id: payment.customerId }, select: { name: true, contactEmail: true, tenant: { select: { name: true } } } });
    await sendMail({
      tenantId: options.tenantId,
      to: customer.contactEmail,
      subject: `Automatic top-up failed for your ${customer.tenant.name} account`,
      text: [
        `We could not charge your saved card ${formatMicros(payment.amount, { minFractionDigits: 2 })} ${payment.currency} to top up ${customer.name}.`,
        options.code === "authentication_required" ? "Your bank asked for confirmation, which we cannot give while you are away." : `Reason: ${options.message}`,
        "",
        "Automatic top-ups are paused until you update your card or retry:",
        appUrl("/portal/balance"),
      ].join("\n"),
    });
  }
  return true;
}

/** The customer's "retry now": lifts the suspension and, when the balance is low, recharges at once. */
export async function retryAutoRecharge(options: { tenantId: string; customerId: string }) {
  const settings = await db().autoRechargeSettings.findFirst({ where: { tenantId: options.tenantId, customerId: options.customerId }, select: { enabled: true } });
  if (!settings?.enabled) throw new AppError("PRECONDITION_FAILED", "Turn auto-recharge on first");
  await db().autoRechargeSettings.update({ where: { customerId: options.customerId }, data: { suspendedAt: null, suspendedReason: null } });
  const claim = await claimAutoRecharge(options);
  const outcome: TChargeOutcome = claim.claimed ? await chargeAutoRecharge({ tenantId: options.tenantId, paymentId: claim.paymentId }) : { status: "SKIPPED", code: claim.reason };
  return { outcome, settings: await getAutoRecharge(options) };
}
