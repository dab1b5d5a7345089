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
 */
export type TStripeKeys = {
  source: "tenant" | "platform";
  secretKey: string | null;
  publishableKey: string | null;
  webhookSecret: string | null;
};

type TTenantKeys = { stripeSecretKeyEnc: string | null; stripePublishableKey: string | null; stripeWebhookSecretEnc: string | null };

export function resolveStripeKeys(tenant: TTenantKeys): TStripeKeys {
  if (tenant.stripeSecretKeyEnc) {
    return {
      source: "tenant",
      secretKey: decryptSecret(tenant.stripeSecretKeyEnc),
      publishableKey: tenant.stripePublishableKey,
      webhookSecret: tenant.stripeWebhookSecretEnc ? decryptSecret(tenant.stripeWebhookSecretEnc) : null,
    };
  }
  const config = env();
  return {
    source: "platform",
    secretKey: config.STRIPE_SECRET_KEY ?? null,
    publishableKey: config.STRIPE_PUBLISHABLE_KEY ?? null,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? null,
  };
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
  if (!keys.secretKey) throw new AppError("PRECONDITION_FAILED", "Card payments are not set up for this provider yet");
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
