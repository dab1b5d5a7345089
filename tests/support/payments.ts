import { db } from "@/server/db/client";
import { loadAuthContext } from "@/server/auth/context";
import { createCallerFactory, createTRPCRouter } from "@/server/trpc/init";
import { paymentsRouter } from "@/server/trpc/routers/payments";
import { POST as platformWebhookRoute } from "@/app/api/webhooks/stripe/route";
import { POST as tenantWebhookRoute } from "@/app/api/webhooks/stripe/[tenant]/route";
import type { TFakeStripe } from "./fake-stripe";

/** What the payments tests share: callers, balances and webhook deliveries through the real routes. */

const createCaller = createCallerFactory(createTRPCRouter({ payments: paymentsRouter }));

/** The payments procedures as this user calls them. */
export async function paymentsAs(userId: string) {
  return createCaller({ auth: await loadAuthContext(userId), ip: "127.0.0.1" }).payments;
}

export async function balanceOf(customerId: string): Promise<bigint> {
  return (await db().customer.findUniqueOrThrow({ where: { id: customerId }, select: { balance: true } })).balance;
}

/** An event as Stripe posts it: signed by the fake with the platform's secret, or `secret`. */
export function signedWebhookRequest(stripe: TFakeStripe, url: string, event: unknown, secret?: string): Request {
  const { payload, header } = stripe.sign(event, secret);
  return new Request(url, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": header }, body: payload });
}

/** Delivers an event to the platform's endpoint, /api/webhooks/stripe. */
export function deliverToPlatformEndpoint(stripe: TFakeStripe, event: unknown, secret?: string): Promise<Response> {
  return platformWebhookRoute(signedWebhookRequest(stripe, "http://localhost:3000/api/webhooks/stripe", event, secret));
}

/** Delivers an event to a tenant's endpoint, /api/webhooks/stripe/<slug>. */
export function deliverToTenantEndpoint(stripe: TFakeStripe, slug: string, event: unknown, secret?: string): Promise<Response> {
  const request = signedWebhookRequest(stripe, `http://localhost:3000/api/webhooks/stripe/${slug}`, event, secret);
  return tenantWebhookRoute(request, { params: Promise.resolve({ tenant: slug }) });
}
