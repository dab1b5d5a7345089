import Stripe from "stripe";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { decryptSecret } from "@/server/security/secrets";

/**
 * Which Stripe account a tenant's money goes through. A tenant that saved its own secret
 * key uses its own keys (secret, publishable, webhook signing secret) as a set; otherwise the
 * platform's keys from configuration apply. Mixing a tenant's secret key with the platform's
 * webhook secret would verify events from one account against another, so we never do.
 *
 * The keys are handed out only as a complete set: a secret key without its webhook secret
 * would let customers pay while every webhook fails, so nobody would ever be credited.
 * `missing` names what is absent, and then all three are null.
 */
export type TStripeKeyField = "secretKey" | "publishableKey" | "webhookSecret";

export type TStripeKeys = {
  source: "tenant" | "platform";
  secretKey: string | null;
  publishableKey: string | null;
  webhookSecret: string | null;
  missing: TStripeKeyField[];
};

type TTenantKeys = { stripeSecretKeyEnc: string | null; stripePublishableKey: string | null; stripeWebhookSecretEnc: string | null };

export const STRIPE_KEY_LABELS: Record<TStripeKeyField, string> = {
  secretKey: "secret key",
  publishableKey: "publishable key",
  webhookSecret: "webhook signing secret",
};

/** Whether a tenant runs on its own Stripe account: any stored key of its own counts. */
export function usesOwnStripeKeys(tenant: TTenantKeys): boolean {
  return Boolean(tenant.stripeSecretKeyEnc || tenant.stripePublishableKey || tenant.stripeWebhookSecretEnc);
}

/** The keys as stored, complete or not (webhooks and the settings page need the parts). */
export function rawStripeKeys(tenant: TTenantKeys): Omit<TStripeKeys, "missing"> {
  if (usesOwnStripeKeys(tenant)) {
    return {
      source: "tenant",
      secretKey: tenant.stripeSecretKeyEnc ? decryptSecret(tenant.stripeSecretKeyEnc) : null,
      publishableKey: tenant.stripePublishableKey,
      webhookSecret: tenant.stripeWebhookSecretEnc ? decryptSecret(tenant.stripeWebhookSecretEnc) : null,
    };
  }
  return platformStripeKeys();
}

export function platformStripeKeys(): Omit<TStripeKeys, "missing"> {
  const config = env();
  return {
    source: "platform",
    secretKey: config.STRIPE_SECRET_KEY ?? null,
    publishableKey: config.STRIPE_PUBLISHABLE_KEY ?? null,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? null,
  };
}

export function missingStripeKeys(keys: Omit<TStripeKeys, "missing">): TStripeKeyField[] {
  return (["secretKey", "publishableKey", "webhookSecret"] as const).filter((field) => !keys[field]);
}

export function resolveStripeKeys(tenant: TTenantKeys): TStripeKeys {
  const raw = rawStripeKeys(tenant);
  const missing = missingStripeKeys(raw);
  if (missing.length > 0) return { source: raw.source, secretKey: null, publishableKey: null, webhookSecret: null, missing };
  return { ...raw, missing };
}

export async function stripeKeysFor(tenantId: string): Promise<TStripeKeys> {
  const tenant = await db().tenant.findUnique({
    where: { id: tenantId },
    select: { stripeSecretKeyEnc: true, stripePublishableKey: true, stripeWebhookSecretEnc: true },
  });
  if (!tenant) throw AppError.notFound("Tenant");
  return resolveStripeKeys(tenant);
}

const clients = new Map<string, Stripe>();

/** An SDK client for a secret key; STRIPE_API_URL points it at a Stripe-compatible server. */
export function stripeClient(secretKey: string): Stripe {
  const apiUrl = env().STRIPE_API_URL;
  const cacheKey = `${apiUrl ?? ""}|${secretKey}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const url = apiUrl ? new URL(apiUrl) : null;
    client = new Stripe(secretKey, {
      // Network retries reuse the request's idempotency key, so they never double-charge.
      maxNetworkRetries: 2,
      timeout: 30_000,
      ...(url
        ? {
            host: url.hostname,
            port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
            protocol: url.protocol === "https:" ? ("https" as const) : ("http" as const),
          }
        : {}),
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** The Stripe client for a tenant, or a clear error when card payments are not set up. */
export async function stripeForTenant(tenantId: string): Promise<{ stripe: Stripe; keys: TStripeKeys }> {
  const keys = await stripeKeysFor(tenantId);
  if (!keys.secretKey) {
    const what = keys.missing.map((field) => STRIPE_KEY_LABELS[field]).join(", ");
    throw new AppError(
      "PRECONDITION_FAILED",
      keys.source === "tenant" && keys.missing.length < 3
        ? `Card payments are not available: this provider's Stripe settings lack the ${what}`
        : "Card payments are not set up for this provider yet",
    );
  }
  return { stripe: stripeClient(keys.secretKey), keys };
}

/** Stripe's own errors, as an AppError for the caller (never the raw message of an unexpected failure). */
export function stripeFailure(error: unknown, what: string): AppError {
  if (error instanceof Stripe.errors.StripeError) {
    return new AppError("EXTERNAL_SERVICE", `${what}: ${error.message}`, { cause: error });
  }
  return new AppError("EXTERNAL_SERVICE", `${what}: the payment provider did not answer`, { cause: error });
}

export { Stripe };
