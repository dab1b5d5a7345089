import { errorResponse } from "@/server/http/errors";
import { handleStripeWebhook } from "@/server/payments/webhooks";

// A tenant's own Stripe account's endpoint (for a tenant on the platform's keys it acts as the
// platform endpoint, app/api/webhooks/stripe/route.ts, where it may have been registered before).
// Stripe signs the exact bytes it sent: the body is read raw, never parsed first.
export const dynamic = "force-dynamic";

export async function POST(request: Request, context: { params: Promise<{ tenant: string }> }): Promise<Response> {
  try {
    const { tenant } = await context.params;
    const rawBody = await request.text();
    // 2xx only after the event's effects committed; any error makes Stripe retry.
    const result = await handleStripeWebhook({ tenantSlug: tenant, rawBody, signature: request.headers.get("stripe-signature") });
    return Response.json(result);
  } catch (error) {
    return errorResponse(error);
  }
}
