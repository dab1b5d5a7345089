import { errorResponse } from "@/server/http/errors";
import { handlePlatformStripeWebhook } from "@/server/payments/webhooks";

// The platform Stripe account's one endpoint: Stripe signs per endpoint, so every tenant on
// the platform's keys shares it and the event's metadata says whose it is.
// Stripe signs the exact bytes it sent: the body is read raw, never parsed first.
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  try {
    const rawBody = await request.text();
    // 2xx only after the event's effects committed (or it is not ours); any error makes Stripe retry.
    const result = await handlePlatformStripeWebhook({ rawBody, signature: request.headers.get("stripe-signature") });
    return Response.json(result);
  } catch (error) {
    return errorResponse(error);
  }
}
