import { z } from "zod";
import { db, type TTransaction } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { appUrl } from "@/server/mail/templates";
import { parseMoneyToMicros } from "@/server/rating/money";
import { encryptSecret } from "@/server/security/secrets";
import { microsToMinor } from "./stripe-amounts";
import {
  STRIPE_KEY_LABELS,
  Stripe,
  missingStripeKeys,
  platformStripeKeys,
  rawStripeKeys,
  stripeClient,
  stripeFailure,
  usesOwnStripeKeys,
  type TStripeKeyField,
} from "./stripe-client";

/**
 * A tenant's Stripe keys and card top-up limits. Secrets are encrypted before they touch the
 * database and never leave the server again: reads return only whether each is configured.
 */

const ZOptionalSecret = (prefixes: readonly string[], label: string) =>
  z
    .string()
    .trim()
    .max(500)
    .refine((value) => prefixes.some((prefix) => value.startsWith(prefix)), `A ${label} starts with ${prefixes.join(" or ")}`)
    .optional();

const ZMoney = z.string().trim().regex(/^\d{1,9}(\.\d{1,6})?$/, "Enter an amount like 25.00");

export const ZStripeSettingsUpdate = z.object({
  /** Omitted: keep what is stored. */
  secretKey: ZOptionalSecret(["sk_", "rk_"], "secret key"),
  publishableKey: ZOptionalSecret(["pk_"], "publishable key"),
  webhookSecret: ZOptionalSecret(["whsec_"], "webhook signing secret"),
  /** Forget the tenant's own keys and use the platform's. */
  clearKeys: z.boolean().default(false),
  topUpMinimum: ZMoney.optional(),
  topUpMaximum: ZMoney.optional(),
  topUpPresets: z.array(ZMoney).max(8).optional(),
});
export type TStripeSettingsUpdate = z.input<typeof ZStripeSettingsUpdate>;

/** What the settings page shows and an update starts from: the keys (encrypted) and top-up limits. */
const PAYMENT_SETTINGS_COLUMNS = {
  currency: true,
  stripeSecretKeyEnc: true,
  stripePublishableKey: true,
  stripeWebhookSecretEnc: true,
  topUpMinimum: true,
  topUpMaximum: true,
  topUpPresets: true,
} as const;

export async function getStripeSettings(options: { tenantId: string }) {
  const tenant = await db().tenant.findUnique({ where: { id: options.tenantId }, select: { ...PAYMENT_SETTINGS_COLUMNS, slug: true } });
  if (!tenant) throw AppError.notFound("Tenant");
  const own = usesOwnStripeKeys(tenant);
  const platformMissing = missingStripeKeys(platformStripeKeys());
  // Presence only: the secrets are not decrypted to answer a yes/no question.
  const ownMissing = missingStripeKeys({
    source: "tenant",
    secretKey: tenant.stripeSecretKeyEnc ? "set" : null,
    publishableKey: tenant.stripePublishableKey,
    webhookSecret: tenant.stripeWebhookSecretEnc ? "set" : null,
  });
  const ownWebhookUrl = appUrl(`/api/webhooks/stripe/${tenant.slug}`);
  const platformWebhookUrl = appUrl("/api/webhooks/stripe");
  // Only flags and the publishable key (public by design) go back to the browser.
  return {
    usingOwnKeys: own,
    secretKeyConfigured: Boolean(tenant.stripeSecretKeyEnc),
    webhookSecretConfigured: Boolean(tenant.stripeWebhookSecretEnc),
    publishableKey: tenant.stripePublishableKey,
    platformKeysConfigured: platformMissing.length === 0,
    /** What the keys in effect lack; card payments stay off until the set is complete. */
    missingKeys: own ? ownMissing : platformMissing,
    cardPaymentsAvailable: (own ? ownMissing : platformMissing).length === 0,
    /**
     * Where Stripe sends this tenant's events: its own endpoint for its own account, the
     * platform's single endpoint otherwise (Stripe signs per endpoint, so the platform's
     * account cannot have one per tenant).
     */
    webhookUrl: own ? ownWebhookUrl : platformWebhookUrl,
    /** The endpoint to add in the tenant's own Stripe account before saving its keys. */
    ownWebhookUrl,
    currency: tenant.currency,
    topUpMinimum: tenant.topUpMinimum,
    topUpMaximum: tenant.topUpMaximum,
    topUpPresets: tenant.topUpPresets,
  };
}

/** What a change of Stripe account did to the customers' Stripe data. */
export type TStripeAccountChange = { stripeCustomersCleared: number; savedCardsRemoved: number };

export async function updateStripeSettings(options: { tenantId: string; actor: TActor; input: TStripeSettingsUpdate }) {
  const input = ZStripeSettingsUpdate.parse(options.input);
  const tenant = await db().tenant.findUnique({ where: { id: options.tenantId }, select: PAYMENT_SETTINGS_COLUMNS });
  if (!tenant) throw AppError.notFound("Tenant");

  const minimum = input.topUpMinimum !== undefined ? parseMoneyToMicros(input.topUpMinimum) : tenant.topUpMinimum;
  const maximum = input.topUpMaximum !== undefined ? parseMoneyToMicros(input.topUpMaximum) : tenant.topUpMaximum;
  const presets = input.topUpPresets !== undefined ? input.topUpPresets.map((value) => parseMoneyToMicros(value)) : tenant.topUpPresets;
  if (minimum <= 0n) throw AppError.invalidField("topUpMinimum", "The minimum must be more than zero");
  if (maximum < minimum) throw AppError.invalidField("topUpMaximum", "The maximum must be at least the minimum");
  for (const [field, value] of [["topUpMinimum", minimum], ["topUpMaximum", maximum]] as const) {
    try {
      microsToMinor(value, tenant.currency);
    } catch {
      throw AppError.invalidField(field, "Use whole cents");
    }
  }
  if (presets.some((preset) => preset < minimum || preset > maximum)) {
    throw AppError.invalidField("topUpPresets", "Every preset must lie between the minimum and the maximum");
  }
  if (!input.clearKeys) requireCompleteKeySet(tenant, input);

  // The account money goes through before and after this change. A customer's Stripe
  // customer id and saved cards exist in exactly one account; under another they point at
  // nothing (every top-up would fail on the unknown customer, every recharge on the card).
  const before = rawStripeKeys(tenant).secretKey;
  const after = input.clearKeys ? platformStripeKeys().secretKey : input.secretKey !== undefined ? input.secretKey : before;
  const accountChanged = before !== after && !(await sameStripeAccount({ tenantId: options.tenantId, secretKey: after }));

  const data = {
    topUpMinimum: minimum,
    topUpMaximum: maximum,
    topUpPresets: [...new Set(presets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    ...(input.clearKeys
      ? { stripeSecretKeyEnc: null, stripePublishableKey: null, stripeWebhookSecretEnc: null }
      : {
          ...(input.secretKey !== undefined ? { stripeSecretKeyEnc: encryptSecret(input.secretKey) } : {}),
          ...(input.publishableKey !== undefined ? { stripePublishableKey: input.publishableKey } : {}),
          ...(input.webhookSecret !== undefined ? { stripeWebhookSecretEnc: encryptSecret(input.webhookSecret) } : {}),
        }),
  };
  const accountChange = await db().$transaction(async (tx) => {
    // The account check above ran against the key read before; a save that slipped in
    // meanwhile would make it wrong, so it must still be the stored one. NO KEY UPDATE, not
    // UPDATE: every ledger entry's foreign key takes KEY SHARE on this row, and a charge that
    // holds a customer this save then clears would wait for it while the save waits for the charge.
    const [locked] = await tx.$queryRaw<{ stripe_secret_key_enc: string | null }[]>`
      SELECT stripe_secret_key_enc FROM tenants WHERE id = ${options.tenantId}::uuid FOR NO KEY UPDATE`;
    if (!locked || locked.stripe_secret_key_enc !== tenant.stripeSecretKeyEnc) {
      throw new AppError("CONFLICT", "The Stripe settings were changed meanwhile; reload and try again");
    }
    if (accountChanged) await refuseWhilePaymentsInFlight(tx, options.tenantId);
    await tx.tenant.update({ where: { id: options.tenantId }, data });
    let change: TStripeAccountChange | null = null;
    if (accountChanged) {
      const cleared = await tx.customer.updateMany({ where: { tenantId: options.tenantId, stripeCustomerId: { not: null } }, data: { stripeCustomerId: null } });
      const removed = await tx.paymentMethod.deleteMany({ where: { tenantId: options.tenantId } });
      change = { stripeCustomersCleared: cleared.count, savedCardsRemoved: removed.count };
    }
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "tenant.stripe-settings.updated",
      targetType: "tenant",
      targetId: options.tenantId,
      // Which secrets changed, never their values.
      after: {
        secretKeyChanged: input.secretKey !== undefined,
        publishableKeyChanged: input.publishableKey !== undefined,
        webhookSecretChanged: input.webhookSecret !== undefined,
        clearedKeys: input.clearKeys,
        stripeAccountChanged: accountChanged,
        ...(change ? { stripeCustomersCleared: change.stripeCustomersCleared, savedCardsRemoved: change.savedCardsRemoved } : {}),
        topUpMinimum: minimum.toString(),
        topUpMaximum: maximum.toString(),
        topUpPresets: data.topUpPresets.map(String),
      },
    });
    return change;
  });
  return { ...(await getStripeSettings({ tenantId: options.tenantId })), accountChange };
}

/**
 * A PENDING card payment lives in the Stripe account it was started in: its Checkout Session
 * can still be paid there, its PaymentIntent still settle there. After a move to another
 * account its events are refused as unroutable (they come from the wrong account) and
 * reconciliation cannot see it with the new keys, so a charged card would never be credited.
 * The move waits until none is PENDING: a checkout expires after an hour (top-up.ts), and
 * reconciliation settles or closes every other payment within 24 hours, or leaves it to a
 * person, who settles it by hand (manual-settlement.ts). Checked under the
 * tenant row's lock, which payment creation shares (startTopUp, claimAutoRecharge): a payment
 * either committed before this count or is created after the change, with the new keys.
 */
async function refuseWhilePaymentsInFlight(tx: TTransaction, tenantId: string) {
  const pending = await tx.payment.count({ where: { tenantId, status: "PENDING" } });
  if (pending === 0) return;
  throw new AppError(
    "PRECONDITION_FAILED",
    `${pending} card payment${pending === 1 ? " is" : "s are"} still in progress with the current Stripe account, and would never be credited after a change to another account. ` +
      "They settle within 24 hours (an unpaid checkout expires after an hour); one marked \"Needs attention\" can be settled by hand from its customer's wallet. Change the account once none is pending.",
  );
}

/**
 * A tenant's own keys are used as a set: a secret key without its webhook secret lets
 * customers pay while every webhook fails, so nobody is ever credited. Whatever the save
 * leaves stored must be all three or none.
 */
function requireCompleteKeySet(
  stored: { stripeSecretKeyEnc: string | null; stripePublishableKey: string | null; stripeWebhookSecretEnc: string | null },
  input: { secretKey?: string; publishableKey?: string; webhookSecret?: string },
) {
  const present: Record<TStripeKeyField, boolean> = {
    secretKey: input.secretKey !== undefined || Boolean(stored.stripeSecretKeyEnc),
    publishableKey: input.publishableKey !== undefined || Boolean(stored.stripePublishableKey),
    webhookSecret: input.webhookSecret !== undefined || Boolean(stored.stripeWebhookSecretEnc),
  };
  const missing = (Object.keys(present) as TStripeKeyField[]).filter((field) => !present[field]);
  if (missing.length === 0 || missing.length === 3) return;
  const fieldErrors: Record<string, string[]> = {};
  for (const field of missing) fieldErrors[field] = [`Enter the ${STRIPE_KEY_LABELS[field]} too: your own Stripe keys are used as a set`];
  throw new AppError("INVALID_INPUT", `Your own Stripe keys are used as a set: enter the ${missing.map((field) => STRIPE_KEY_LABELS[field]).join(" and ")} too`, { fieldErrors });
}

/**
 * Whether a new secret key reaches the same Stripe account as the tenant's stored customer
 * ids: one of them is looked up with it. A rolled key of the same account finds it; another
 * account (or the other of test and live mode) does not, and a key Stripe refuses is refused
 * before anything is saved. With no customer ids stored there is nothing to keep or check:
 * the key counts as another account's, which clears nothing.
 */
async function sameStripeAccount(options: { tenantId: string; secretKey: string | null }): Promise<boolean> {
  const sample = await db().customer.findFirst({
    where: { tenantId: options.tenantId, stripeCustomerId: { not: null } },
    select: { stripeCustomerId: true },
  });
  if (!sample?.stripeCustomerId) return false;
  if (!options.secretKey) return false;
  try {
    const found = await stripeClient(options.secretKey).customers.retrieve(sample.stripeCustomerId);
    return !found.deleted;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
      throw AppError.invalidField("secretKey", "Stripe does not accept this secret key");
    }
    if (error instanceof Stripe.errors.StripeError && (error.code === "resource_missing" || error.statusCode === 404)) return false;
    throw stripeFailure(error, "Could not check the new key with Stripe; nothing was changed");
  }
}
