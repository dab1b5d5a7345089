import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { appUrl } from "@/server/mail/templates";
import { parseMoneyToMicros } from "@/server/rating/money";
import { encryptSecret } from "@/server/security/secrets";
import { microsToMinor } from "./stripe-amounts";

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

export async function getStripeSettings(options: { tenantId: string }) {
  const tenant = await db().tenant.findUnique({
    where: { id: options.tenantId },
    select: {
      slug: true,
      currency: true,
      stripeSecretKeyEnc: true,
      stripePublishableKey: true,
      stripeWebhookSecretEnc: true,
      topUpMinimum: true,
      topUpMaximum: true,
      topUpPresets: true,
    },
  });
  if (!tenant) throw AppError.notFound("Tenant");
  const config = env();
  const own = Boolean(tenant.stripeSecretKeyEnc);
  // Only flags and the publishable key (public by design) go back to the browser.
  return {
    usingOwnKeys: own,
    secretKeyConfigured: own,
    webhookSecretConfigured: Boolean(tenant.stripeWebhookSecretEnc),
    publishableKey: tenant.stripePublishableKey,
    platformKeysConfigured: Boolean(config.STRIPE_SECRET_KEY),
    cardPaymentsAvailable: own || Boolean(config.STRIPE_SECRET_KEY),
    webhookUrl: appUrl(`/api/webhooks/stripe/${tenant.slug}`),
    currency: tenant.currency,
    topUpMinimum: tenant.topUpMinimum,
    topUpMaximum: tenant.topUpMaximum,
    topUpPresets: tenant.topUpPresets,
  };
}

export async function updateStripeSettings(options: { tenantId: string; actor: TActor; input: TStripeSettingsUpdate }) {
  const input = ZStripeSettingsUpdate.parse(options.input);
  const tenant = await db().tenant.findUnique({
    where: { id: options.tenantId },
    select: { currency: true, stripeSecretKeyEnc: true, topUpMinimum: true, topUpMaximum: true, topUpPresets: true },
  });
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
  if (!input.clearKeys && input.secretKey === undefined && !tenant.stripeSecretKeyEnc && (input.webhookSecret || input.publishableKey)) {
    throw AppError.invalidField("secretKey", "Enter the secret key too: a tenant's keys are used as a set");
  }

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
  await db().$transaction(async (tx) => {
    await tx.tenant.update({ where: { id: options.tenantId }, data });
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
        topUpMinimum: minimum.toString(),
        topUpMaximum: maximum.toString(),
        topUpPresets: data.topUpPresets.map(String),
      },
    });
  });
  return getStripeSettings({ tenantId: options.tenantId });
}
