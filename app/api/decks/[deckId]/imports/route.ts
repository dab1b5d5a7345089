import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { clientIp } from "@/server/auth/client-ip";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/errors";
import { assertSameOrigin } from "@/server/http/same-origin";
import { previewDeckImport } from "@/server/rating/deck-import";

export const dynamic = "force-dynamic";

/** Upload a deck file for preview (multipart: file, format, effectiveFrom, timeZone?). */
export async function POST(request: Request, context: { params: Promise<{ deckId: string }> }) {
  try {
    assertSameOrigin(request);
    const auth = requireTenantRole(await currentAuth(), TENANT_ADMIN_ROLES);
    const { deckId } = await context.params;
    const form = await request.formData();
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) throw AppError.invalidField("file", "Choose a deck file to upload");
    const preview = await previewDeckImport({
      tenantId: auth.tenantId,
      actor: { userId: auth.userId, email: auth.email, ip: clientIp((name) => request.headers.get(name)) },
      request: {
        deckId,
        format: String(form.get("format") ?? "native") as "native",
        fileName: file.name || "deck.csv",
        effectiveFrom: new Date(String(form.get("effectiveFrom") ?? "")),
        timeZone: form.get("timeZone") ? String(form.get("timeZone")) : undefined,
      },
      file: Readable.fromWeb(file.stream() as WebReadableStream<Uint8Array>),
    });
    return Response.json({ importId: preview.id });
  } catch (error) {
    return errorResponse(error);
  }
}
