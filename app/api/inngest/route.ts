import { serve } from "inngest/next";
import { inngestServerConfigured } from "@/server/env";
import { inngest } from "@/server/jobs/client";
import { functions } from "@/server/jobs/functions/index";

export const dynamic = "force-dynamic";

// The production path: an Inngest server (INNGEST_BASE_URL / INNGEST_DEV) calls this
// endpoint to run functions. Without one, the embedded runner runs them in-process and this
// endpoint says so instead of pretending to serve.
const served = serve({ client: inngest, functions });

function embeddedAnswer() {
  return Response.json(
    { error: "No Inngest server is configured; functions run in-process (see /admin/jobs)." },
    { status: 404 },
  );
}

export async function GET(request: Request, context: unknown) {
  return inngestServerConfigured() ? served.GET(request as never, context) : embeddedAnswer();
}
export async function POST(request: Request, context: unknown) {
  return inngestServerConfigured() ? served.POST(request as never, context) : embeddedAnswer();
}
export async function PUT(request: Request, context: unknown) {
  return inngestServerConfigured() ? served.PUT(request as never, context) : embeddedAnswer();
}
